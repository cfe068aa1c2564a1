"""Read-merge-save with a few inline retries of transient Wix errors, within a time budget."""

from __future__ import annotations

import random

import pytest

from devstack.stripe_fixtures import Payment, card_success_events
from ingest.normalize import normalize_event
from tests.fakes import FakeClock, FakeCollection
from writer.apply import RetryPolicy, apply_update
from writer.wix import WixConfigError, WixPermanentError, WixTransientError


def charge():
    return normalize_event(card_success_events(Payment())[0])


def run(collection, update, policy=None, clock=None):
    clock = clock or FakeClock(0.0)
    return apply_update(
        collection,
        update,
        policy or RetryPolicy(),
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(1),
    )


def test_a_new_payment_is_inserted_and_the_same_message_again_is_a_no_op():
    collection, update = FakeCollection(), charge()
    first, second = run(collection, update), run(collection, update)
    assert (first.action, first.wix_action, second.action) == ("insert", "INSERTED", "no-op")
    assert collection.writes == 1


def test_transient_errors_are_retried_and_then_succeed():
    collection = FakeCollection(
        fail_get=[WixTransientError("500", 500)], fail_save=[WixTransientError("timeout")]
    )
    clock = FakeClock(0.0)
    applied = run(collection, charge(), clock=clock)
    assert (applied.action, applied.attempts, collection.writes) == ("insert", 3, 1)
    assert len(clock.slept) == 2


def test_after_the_last_attempt_the_error_is_raised_for_pubsub_to_retry():
    collection = FakeCollection(fail_get=[WixTransientError("500", 500)] * 4)
    with pytest.raises(WixTransientError):
        run(collection, charge(), RetryPolicy(attempts=4))
    assert collection.reads == 4


def test_retry_after_is_waited_for_before_the_next_attempt():
    collection = FakeCollection(fail_get=[WixTransientError("429", 429, "WDE0014", 2.0)])
    clock = FakeClock(0.0)
    run(collection, charge(), clock=clock)
    assert clock.slept[0] >= 2.0


def test_no_attempt_starts_that_the_budget_cannot_wait_for():
    collection = FakeCollection(fail_get=[WixTransientError("429", 429, "WDE0014", 30.0)])
    clock = FakeClock(0.0)
    with pytest.raises(WixTransientError):
        run(collection, charge(), RetryPolicy(budget=10.0), clock=clock)
    assert clock.slept == []


@pytest.mark.parametrize(
    "error", [WixConfigError("403", 403, "WDE0027"), WixPermanentError("400", 400, "WDE0075")]
)
def test_configuration_and_validation_errors_are_not_retried_inline(error):
    collection = FakeCollection(fail_save=[error])
    with pytest.raises(type(error)):
        run(collection, charge())
    assert collection.reads == 1


class AppliedThenTimedOut(FakeCollection):
    """Wix applied the save but the answer never came back."""

    def save(self, item_id, data):
        action = super().save(item_id, data)
        if self.writes == 1:
            raise WixTransientError("timed out")
        return action


def test_a_save_that_timed_out_but_was_applied_is_not_written_twice():
    collection = AppliedThenTimedOut()
    applied = run(collection, charge())
    assert (applied.action, applied.attempts, collection.writes) == ("no-op", 2, 1)


def test_backoff_doubles_with_jitter_and_is_capped():
    collection = FakeCollection(fail_get=[WixTransientError("500", 500)] * 6)
    clock = FakeClock(0.0)
    policy = RetryPolicy(attempts=6, budget=100, first_backoff=0.1, max_backoff=0.5)
    with pytest.raises(WixTransientError):
        run(collection, charge(), policy, clock)
    ceilings = [0.1, 0.2, 0.4, 0.5, 0.5]
    assert len(clock.slept) == len(ceilings)
    for slept, ceiling in zip(clock.slept, ceilings, strict=True):
        assert ceiling / 2 <= slept <= ceiling
