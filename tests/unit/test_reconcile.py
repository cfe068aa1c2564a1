"""Reconcile's core with a fake gateway and publisher: each event once, as the webhook would."""

import pytest

from devstack.stripe_fixtures import Payment, card_success_events, event
from ingest.ports import StripeFailure
from ingest.reconcile import InvalidSince, parse_since, reconcile
from payments.message import PaymentUpdate, Source
from servicekit.publishing import PublishError
from tests.fakes import FakePublisher, FakeStripe

T = 1_800_000_000


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90m", 5400),
        ("24h", 86400),
        ("7d", 604800),
        ("3600s", 3600),
        (" 2h ", 7200),
        ("30d", 2592000),
    ],
)
def test_since_durations(text, seconds):
    assert parse_since(text) == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "0h", "31d", "1w", "-1h", "1.5h"])
def test_bad_since_is_refused(text):
    with pytest.raises(InvalidSince):
        parse_since(text)


class RepeatingStripe(FakeStripe):
    """Lists one event twice, as a page boundary shifting under new events can."""

    def list_events(self, types, created_gte):
        events = list(super().list_events(types, created_gte))
        yield from events
        yield events[0]


def test_each_handled_event_is_published_once_with_the_webhooks_key_and_attributes():
    payment = Payment(intent_id="pi_r")
    stripe = RepeatingStripe(
        events=[
            *card_success_events(payment, at=T - 50),
            event("customer.created", {"id": "cus_1"}, created=T - 40),
            event("charge.succeeded", Payment().charge(), created=T - 10_000),  # too old
        ]
    )
    publisher = FakePublisher()
    report = reconcile(stripe, publisher, created_gte=T - 3600)
    assert report.as_dict() == {
        "listed": 3,
        "published": 2,
        "duplicates": 1,
        "ignored": 0,
        "malformed": 0,
        "failed": 0,
    }
    assert {m.ordering_key for m in publisher.published} == {"pi_r"}
    updates = [PaymentUpdate.from_json(m.data) for m in publisher.published]
    assert {u.source for u in updates} == {Source.RECONCILE}
    assert [m.attributes["event_id"] for m in publisher.published] == [u.event_id for u in updates]
    assert sorted(u.event_type for u in updates) == ["charge.succeeded", "payment_intent.succeeded"]


def test_a_failed_publish_is_counted_and_the_rest_still_published():
    stripe = FakeStripe(events=card_success_events(Payment(), at=T - 5))

    class FlakyPublisher(FakePublisher):
        def publish(self, data, ordering_key, attributes):
            if not self.published and not getattr(self, "failed_once", False):
                self.failed_once = True
                raise PublishError("publish failed: DeadlineExceeded")
            return super().publish(data, ordering_key, attributes)

    publisher = FlakyPublisher()
    report = reconcile(stripe, publisher, created_gte=T - 60)
    assert (report.published, report.failed, report.ok) == (1, 1, False)
    assert len(report.failed_event_ids) == 1


def test_a_malformed_event_is_skipped_not_fatal():
    broken = event("charge.succeeded", {"id": "ch_x", "payment_intent": "pi_x"}, created=T - 5)
    stripe = FakeStripe(events=[broken, *card_success_events(Payment(), at=T - 5)])
    publisher = FakePublisher()
    report = reconcile(stripe, publisher, created_gte=T - 60)
    assert (report.malformed, report.published) == (1, 2)


def test_stripe_unavailable_is_raised_for_the_caller_to_answer():
    stripe = FakeStripe(fail_next=[StripeFailure("unavailable", "boom", 500)])
    with pytest.raises(StripeFailure):
        reconcile(stripe, FakePublisher(), created_gte=T)
