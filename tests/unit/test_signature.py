import hashlib
import hmac

import pytest
import stripe

from ingest.signature import SignatureError, sign, verify

SECRET = "whsec_test_secret"
OTHER = "whsec_other_secret"
BODY = b'{"id":"evt_1","type":"charge.succeeded"}'
NOW = 1_800_000_000


def header_for(body: bytes = BODY, secret: str = SECRET, t: int = NOW) -> str:
    return sign(body, secret, t)


def test_a_correctly_signed_body_is_accepted_and_returns_its_timestamp():
    assert verify(BODY, header_for(), [SECRET], now=NOW) == NOW


def test_our_signatures_are_the_ones_stripes_own_library_accepts():
    stripe.WebhookSignature.verify_header(BODY.decode(), header_for(t=NOW), SECRET, tolerance=None)


def test_a_header_made_by_stripes_library_is_accepted():
    # stripe 13.0.x (the line pinned to our API version) has no public header generator yet;
    # its verify_header computes v1 with this function, so a header from it is Stripe's own.
    signature = stripe.WebhookSignature._compute_signature(f"{NOW}.{BODY.decode()}", SECRET)
    header = f"t={NOW},v1={signature}"
    assert verify(BODY, header, [SECRET], now=NOW) == NOW


def test_any_of_several_secrets_verifies_during_rotation():
    assert verify(BODY, header_for(secret=OTHER), [SECRET, OTHER], now=NOW) == NOW


def test_one_matching_v1_among_several_is_enough():
    good = header_for().split(",")[1]
    header = f"t={NOW},v1={'0' * 64},{good}"
    assert verify(BODY, header, [SECRET], now=NOW) == NOW


def test_a_timestamp_within_tolerance_either_side_is_accepted():
    assert verify(BODY, header_for(t=NOW - 299), [SECRET], now=NOW) == NOW - 299
    assert verify(BODY, header_for(t=NOW + 299), [SECRET], now=NOW) == NOW + 299


def v0_only(body: bytes, secret: str, t: int) -> str:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v0={digest}"


@pytest.mark.parametrize(
    ("case", "body", "header", "secrets", "message"),
    [
        ("missing header", BODY, None, [SECRET], "missing Stripe-Signature"),
        ("blank header", BODY, "  ", [SECRET], "missing Stripe-Signature"),
        ("malformed header", BODY, "garbage", [SECRET], "malformed"),
        ("no timestamp", BODY, "v1=abc", [SECRET], "no timestamp"),
        ("non-numeric timestamp", BODY, "t=soon,v1=abc", [SECRET], "malformed timestamp"),
        ("no v1 signature", BODY, f"t={NOW}", [SECRET], "no v1 signature"),
        ("only the v0 test scheme", BODY, v0_only(BODY, SECRET, NOW), [SECRET], "no v1 signature"),
        ("wrong secret", BODY, header_for(secret=OTHER), [SECRET], "No signatures found matching"),
        ("tampered body", BODY + b" ", header_for(), [SECRET], "No signatures found matching"),
        ("too old", BODY, header_for(t=NOW - 301), [SECRET], "old"),
        ("too far ahead", BODY, header_for(t=NOW + 301), [SECRET], "future"),
        ("no secrets configured", BODY, header_for(), [], "No signatures found matching"),
    ],
)
def test_bad_signatures_are_refused_with_a_clear_reason(case, body, header, secrets, message):
    with pytest.raises(SignatureError, match=message):
        verify(body, header, secrets, now=NOW)


@pytest.mark.parametrize(
    "header", [f"t={NOW},v1=éé", f"t=²{NOW},v1=abc", f"t={NOW},v1=\u00e9{'0' * 63}"]
)
def test_non_ascii_in_the_header_is_refused_not_a_crash(header):
    with pytest.raises(SignatureError):
        verify(BODY, header, [SECRET], now=NOW)
