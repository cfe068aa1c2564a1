"""Stripe-Signature: whatever the header and body, the answer is a timestamp or SignatureError
(the webhook's 400), never another exception (a 500)."""

from hypothesis import example, given
from hypothesis import strategies as st

from ingest.signature import SignatureError, sign, verify

NOW = 1_800_000_000
SECRETS = ["whsec_one", "whsec_two"]

header_parts = st.one_of(
    st.text(max_size=40),
    st.builds(lambda v: f"t={v}", st.one_of(st.integers(), st.text(max_size=20))),
    st.builds(lambda v: f"v1={v}", st.text(max_size=70)),
    st.builds(lambda v: f"v0={v}", st.text(max_size=10)),
)
headers = st.one_of(
    st.none(), st.text(max_size=200), st.lists(header_parts, max_size=6).map(",".join)
)


@given(body=st.binary(max_size=200), header=headers, now=st.integers(0, 2**40))
@example(body=b"{}", header="t=" + "1" * 5000 + ",v1=ab", now=NOW)  # more digits than int() takes
@example(body=b"{}", header="t=\u0663\u0663,v1=ab", now=NOW)  # Arabic-Indic digits
@example(body=b"{}", header="t=1,v1=\udcff", now=NOW)  # a lone surrogate
def test_any_header_is_a_timestamp_or_a_signature_error(body, header, now):
    try:
        timestamp = verify(body, header, SECRETS, now)
    except SignatureError:
        return
    assert abs(timestamp - now) <= 300


@given(body=st.binary(max_size=300), secret=st.sampled_from(SECRETS), skew=st.integers(-300, 300))
def test_a_body_signed_with_a_secret_in_force_verifies(body, secret, skew):
    assert verify(body, sign(body, secret, NOW + skew), SECRETS, NOW) == NOW + skew


@given(body=st.binary(min_size=1, max_size=300), data=st.data())
def test_any_change_to_a_signed_body_is_refused(body, data):
    header = sign(body, SECRETS[0], NOW)
    index = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    changed = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    try:
        verify(changed, header, SECRETS, NOW)
    except SignatureError:
        return
    raise AssertionError("a changed body verified")
