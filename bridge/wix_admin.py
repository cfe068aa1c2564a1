"""`WixAdmin`: the writer's Wix client, plus Remove Data Item for smoke's clean-up.

Remove Data Item: `DELETE /wix-data/v2/items/{id}?dataCollectionId=…`
(https://dev.wix.com/docs/rest/api-reference/wix-data/data-items/remove-data-item).
"""

from __future__ import annotations

from urllib.parse import quote

from writer.wix import ITEM_NOT_FOUND_CODES, WixCollection, WixConfigError


class WixAdmin(WixCollection):
    def remove(self, item_id: str) -> bool:
        """True if the item was removed, False if there was none."""
        path = f"/wix-data/v2/items/{quote(item_id, safe='')}"
        try:
            self._call("DELETE", path, "write", params={"dataCollectionId": self.collection_id})
        except WixConfigError as exc:
            if exc.status == 404 and exc.code in ITEM_NOT_FOUND_CODES:
                return False
            raise
        return True
