"""Publishing a message we cannot apply to the dead-letter topic, with the reason beside it.

The emulator does not forward to dead-letter topics, and a poison message must not be retried
forever, so the writer dead-letters those itself and then acknowledges them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from servicekit.publishing import Publisher
from writer.envelope import PushMessage

REASON = "dead_letter_reason"
ORIGINAL_MESSAGE_ID = "original_message_id"
DEAD_LETTERED_AT = "dead_lettered_at"
DELIVERY_ATTEMPT = "delivery_attempt"
ADDED_ATTRIBUTES = (REASON, ORIGINAL_MESSAGE_ID, DEAD_LETTERED_AT, DELIVERY_ATTEMPT)


def dead_letter(publisher: Publisher, push: PushMessage | None, raw: bytes, reason: str) -> str:
    attributes = dict(push.attributes) if push else {}
    attributes[REASON] = reason[:500]
    attributes[DEAD_LETTERED_AT] = datetime.now(UTC).isoformat(timespec="seconds")
    if push:
        attributes[ORIGINAL_MESSAGE_ID] = push.message_id
        if push.delivery_attempt is not None:
            attributes[DELIVERY_ATTEMPT] = str(push.delivery_attempt)
    data = push.data if push and push.data else raw
    ordering_key = attributes.get("payment_intent_id", "")
    return publisher.publish(data or b"{}", ordering_key, attributes)
