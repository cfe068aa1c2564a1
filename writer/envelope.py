"""Pub/Sub push envelope -> PaymentUpdate. Pure.

Push body: {"message": {"data": base64, "attributes": {...}, "messageId" | "message_id",
"publishTime", "orderingKey"?}, "subscription": "...", "deliveryAttempt"?: n}. The emulator
sends neither orderingKey nor deliveryAttempt, so the payment is read from the attributes.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

from payments.message import MessageError, PaymentUpdate


@dataclass(frozen=True)
class PushMessage:
    message_id: str
    delivery_attempt: int | None
    attributes: dict[str, str]
    data: bytes


@dataclass(frozen=True)
class Delivery:
    push: PushMessage
    update: PaymentUpdate


@dataclass(frozen=True)
class Poison:
    """A message that can never be applied; it goes to the dead-letter topic with `reason`."""

    reason: str
    push: PushMessage | None = field(default=None)


def parse_envelope(body: bytes) -> Delivery | Poison:
    try:
        envelope = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Poison("push body is not JSON")
    if not isinstance(envelope, dict) or not isinstance(envelope.get("message"), dict):
        return Poison("push body has no message")
    message: dict[str, Any] = envelope["message"]
    message_id = message.get("messageId") or message.get("message_id")
    if not isinstance(message_id, str) or not message_id:
        return Poison("push message has no messageId")
    raw_attributes = message.get("attributes") or {}
    attributes = (
        {str(k): str(v) for k, v in raw_attributes.items()}
        if isinstance(raw_attributes, dict)
        else {}
    )
    attempt = envelope.get("deliveryAttempt")
    try:
        data = base64.b64decode(message.get("data") or "", validate=True)
    except (binascii.Error, ValueError, TypeError):
        return Poison("message data is not base64", PushMessage(message_id, None, attributes, b""))
    push = PushMessage(
        message_id=message_id,
        delivery_attempt=attempt
        if isinstance(attempt, int) and not isinstance(attempt, bool)
        else None,
        attributes=attributes,
        data=data,
    )
    if not data:
        return Poison("message has no data", push)
    schema = attributes.get("schema_version")
    if schema is not None and schema != "1":
        return Poison(f"unknown schema_version {schema!r}", push)
    try:
        update = PaymentUpdate.from_json(data)
    except MessageError as exc:
        return Poison(exc.reason, push)
    expected = attributes.get("payment_intent_id")
    if expected is not None and expected != update.payment_intent_id:
        return Poison("payment_intent_id attribute does not match the message", push)
    return Delivery(push, update)
