"""How WixCollection reads Wix's answers: what means "absent", what is retried, never a crash."""

from __future__ import annotations

import json

import pytest
import requests

from writer.wix import WixCollection, WixConfigError, WixTransientError


class CannedSession(requests.Session):
    def __init__(
        self, status: int = 200, body: object = None, raise_: Exception | None = None
    ) -> None:
        super().__init__()
        self.status, self.body, self.raise_ = status, body, raise_

    def request(self, method, url, **kwargs):  # type: ignore[override]
        if self.raise_:
            raise self.raise_
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.body).encode()
        return response


def collection(**answer) -> WixCollection:
    return WixCollection(
        "key", "site", "Payments", base_url="http://localhost:1", session=CannedSession(**answer)
    )


def not_found(code: str) -> dict:
    return {
        "message": "not found",
        "details": {"applicationError": {"code": code, "description": "x"}},
    }


@pytest.mark.parametrize(
    "code", ["WDE0073", "ITEM_NOT_FOUND", "WIXDATA.ITEM.NOT_FOUND", "NOT_FOUND"]
)
def test_a_404_saying_the_item_does_not_exist_reads_as_absent(code):
    assert collection(status=404, body=not_found(code)).get("pi_1") is None


def test_the_code_is_also_read_from_the_message_text():
    body = {"message": "WDE0073: Item [pi_1] does not exist in collection [Payments]."}
    assert collection(status=404, body=body).get("pi_1") is None


def test_an_explicit_null_item_reads_as_absent():
    assert collection(body={"dataItem": None}).get("pi_1") is None


def test_a_404_for_anything_else_is_a_configuration_error_not_absent():
    with pytest.raises(WixConfigError):
        collection(status=404, body=not_found("WDE0025")).get("pi_1")
    with pytest.raises(WixConfigError):
        collection(status=404, body={"error": "no such route"}).get("pi_1")


def test_an_item_answer_without_data_is_retried_not_taken_as_absent():
    with pytest.raises(WixTransientError):
        collection(body={"dataItem": {"id": "pi_1"}}).get("pi_1")


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ChunkedEncodingError("cut"),
        requests.exceptions.ContentDecodingError("bad"),
    ],
)
def test_a_broken_answer_is_transient_never_an_unhandled_error(error):
    with pytest.raises(WixTransientError):
        collection(raise_=error).get("pi_1")
