"""The backfill's paging, checkpoint, pacing and back-off, with hand-written fakes and a fake clock."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devstack.stripe_fixtures import Payment
from ingest.backfill import (
    MAX_STRIPE_ATTEMPTS,
    Backfill,
    BackfillRange,
    Checkpoint,
    CheckpointFile,
    CheckpointMismatch,
    InvalidRange,
    Options,
    Pacer,
    parse_date,
    start_state,
    stripe_pace,
)
from ingest.ports import StripeFailure
from payments.message import PaymentUpdate, Source
from servicekit.publishing import PublishError
from tests.fakes import FakePublisher

SINCE, UNTIL = 1_600_000_000, 1_700_000_000
SPAN = BackfillRange(SINCE, UNTIL)
DECLINE = {"type": "card_error", "message": "Your card was declined.", "payment_method": None}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def intent(n: int, status: str = "succeeded") -> dict[str, Any]:
    p = Payment(created=UNTIL - 1000 * (n + 1), intent_id=f"pi_{n:04d}", first_name=f"N{n}")
    if status == "failed":
        charge = p.charge("failed", "Your card was declined.")
        return {**p.intent("requires_payment_method", last_error=DECLINE), "latest_charge": charge}
    if status == "incomplete":
        return p.intent("requires_payment_method")
    return {**p.intent("succeeded"), "latest_charge": p.charge()}


class FakePages:
    """Stripe's list: newest first, `starting_after` cursor, scripted failures."""

    def __init__(self, intents: list[dict[str, Any]], page_size: int | None = None) -> None:
        self.intents = sorted(intents, key=lambda i: -i["created"])
        self.page_size = page_size
        self.fail_next: list[StripeFailure] = []
        self.calls: list[tuple[int, int, str | None, int]] = []

    def list_payment_intents(
        self, created_gte: int, created_lt: int, starting_after: str | None, limit: int
    ) -> dict[str, Any]:
        self.calls.append((created_gte, created_lt, starting_after, limit))
        if self.fail_next:
            raise self.fail_next.pop(0)
        ordered = self.intents
        if starting_after is not None:
            ids = [i["id"] for i in ordered]
            ordered = ordered[ids.index(starting_after) + 1 :]
        ordered = [i for i in ordered if created_gte <= i["created"] < created_lt]
        size = min(limit, self.page_size or limit)
        return {"object": "list", "data": ordered[:size], "has_more": len(ordered) > size}


class StopAfter:
    """A Ctrl-C that arrives once `publisher` has published `count` messages."""

    def __init__(self, publisher: FakePublisher, count: int) -> None:
        self.publisher, self.count = publisher, count

    def __call__(self) -> bool:
        return len(self.publisher.published) >= self.count


def run(pages, publisher, clock, **kwargs) -> tuple[Backfill, Any]:
    options = kwargs.pop("options", Options(publish_per_second=100, stripe_per_second=10))
    job = Backfill(pages, publisher, SPAN, options, clock=clock, sleep=clock.sleep, **kwargs)
    return job, job.run()


def resumed(intents, publisher, file, **kwargs):
    """A second run of the same range from the checkpoint on disk."""
    saved = start_state(file, SPAN, resume=True, dry_run=False)
    options = Options(publish_per_second=1000)
    return Backfill(
        FakePages(intents), publisher, SPAN, options, checkpoint=file, resume=saved, **kwargs
    ).run()


def messages(publisher: FakePublisher) -> list[PaymentUpdate]:
    return [PaymentUpdate.from_json(p.data) for p in publisher.published]


def test_every_payment_with_an_outcome_is_published_once_as_a_backfill_snapshot():
    intents = [intent(n, s) for n, s in enumerate(["succeeded", "failed", "incomplete"] * 90)]
    pages, publisher, clock = FakePages(intents), FakePublisher(), Clock()
    _, report = run(pages, publisher, clock)
    sent = messages(publisher)
    assert len(sent) == 180 and report.published == 180 and report.skipped == 90
    assert len({m.payment_intent_id for m in sent}) == 180
    assert all(m.source is Source.BACKFILL for m in sent)
    assert all(m.event_id.startswith(f"backfill_{m.payment_intent_id}:") for m in sent)
    assert [p.ordering_key for p in publisher.published] == [m.payment_intent_id for m in sent]
    assert report.ok and report.finished
    # Pages of 100 over the range, each after the last id of the one before; 270 -> 3 calls.
    assert [c[2] for c in pages.calls] == [None, "pi_0099", "pi_0199"]
    assert {(c[0], c[1], c[3]) for c in pages.calls} == {(SINCE, UNTIL, 100)}


def test_a_second_run_publishes_the_very_same_messages():
    intents = [intent(n) for n in range(5)]
    first, second = FakePublisher(), FakePublisher()
    run(FakePages(intents), first, Clock())
    run(FakePages(intents), second, Clock())
    assert [p.data for p in first.published] == [p.data for p in second.published]


def test_a_dry_run_counts_by_status_and_method_and_publishes_nothing(tmp_path):
    intents = [
        intent(n, s) for n, s in enumerate(["succeeded", "succeeded", "failed", "incomplete"])
    ]
    file = CheckpointFile(tmp_path / "cp.json")
    job = Backfill(
        FakePages(intents), None, SPAN, Options(dry_run=True), checkpoint=file, clock=Clock()
    )
    report = job.run()
    assert report.by_status == {
        "succeeded": 2,
        "failed": 1,
        "no outcome (requires_payment_method)": 1,
    }
    assert report.by_method == {"card": 3}
    assert not file.path.exists()


def test_a_429_backs_off_exponentially_slows_the_pace_and_carries_on():
    pages, publisher, clock = FakePages([intent(n) for n in range(3)]), FakePublisher(), Clock()
    pages.fail_next = [StripeFailure("rate_limit", "Too many requests", 429)] * 3
    job, report = run(pages, publisher, clock)
    assert report.ok and len(publisher.published) == 3
    assert report.rate_limited == 3 and report.stripe_calls == 4
    backoffs = [s for s in clock.sleeps if s >= 0.5]
    assert len(backoffs) == 3
    assert 0.5 <= backoffs[0] <= 1 and 1 <= backoffs[1] <= 2 and 2 <= backoffs[2] <= 4
    assert job.stripe_pacer.per_second == pytest.approx(10 / 8)


def test_stripe_that_keeps_refusing_fails_the_run_and_keeps_the_checkpoint(tmp_path):
    pages = FakePages([intent(n) for n in range(150)], page_size=100)
    publisher, file = FakePublisher(), CheckpointFile(tmp_path / "cp.json")
    job = Backfill(
        pages,
        publisher,
        SPAN,
        Options(publish_per_second=1000),
        checkpoint=file,
        clock=(clock := Clock()),
        sleep=clock.sleep,
    )
    real_list = pages.list_payment_intents

    def second_page_refused(*args):
        if args[2] is not None:
            raise StripeFailure("rate_limit", "Too many requests", 429)
        return real_list(*args)

    pages.list_payment_intents = second_page_refused  # type: ignore[method-assign]
    with pytest.raises(StripeFailure):
        job.run()
    saved = file.load()
    assert saved is not None and (saved.cursor, saved.published, saved.pages) == ("pi_0099", 100, 1)
    assert job.report.stripe_calls == 1 + MAX_STRIPE_ATTEMPTS


def test_a_key_that_may_not_list_fails_at_once():
    pages, clock = FakePages([intent(1)]), Clock()
    pages.fail_next = [StripeFailure("permission", "needs rak_payment_intent_read", 403)]
    with pytest.raises(StripeFailure):
        run(pages, FakePublisher(), clock)
    assert len(pages.calls) == 1


def test_stripe_and_publishing_are_paced():
    pages = FakePages([intent(n) for n in range(50)], page_size=10)
    clock = Clock()
    run(pages, FakePublisher(), clock, options=Options(publish_per_second=5, stripe_per_second=2))
    # 50 publishes at 5 a second: 49 gaps of 0.2 s at least; 5 list calls at 2 a second fit in.
    assert clock.now - 1000.0 == pytest.approx(49 / 5)


def test_pacer_spaces_calls_and_halves_its_pace_when_told():
    clock = Clock()
    pacer = Pacer(4, clock, clock.sleep)
    for _ in range(3):
        pacer.wait()
    assert clock.now - 1000 == pytest.approx(0.5)
    pacer.slow_down()
    pacer.wait()
    pacer.wait()
    assert clock.now - 1000 == pytest.approx(0.75 + 0.5)


@pytest.mark.parametrize("stop_at", [0, 1, 85, 86, 87, 200])
def test_stopped_anywhere_then_resumed_every_payment_is_published_exactly_once(tmp_path, stop_at):
    intents = [intent(n, "incomplete" if n % 7 == 0 else "succeeded") for n in range(260)]
    file = CheckpointFile(tmp_path / "cp.json")
    first = FakePublisher()
    job = Backfill(
        FakePages(intents),
        first,
        SPAN,
        Options(publish_per_second=1000),
        checkpoint=file,
        stop_requested=StopAfter(first, stop_at),
        clock=(clock := Clock()),
        sleep=clock.sleep,
    )
    report = job.run()
    assert report.interrupted and not report.ok
    saved = file.load()
    assert saved is not None and saved.published == stop_at
    second = FakePublisher()
    again = resumed(intents, second, file, clock=clock, sleep=clock.sleep)
    ids = [p.ordering_key for p in first.published + second.published]
    with_outcome = [i["id"] for i in intents if i["status"] == "succeeded"]
    assert sorted(ids) == sorted(with_outcome), "each payment published exactly once"
    assert again.ok and again.published == len(with_outcome)
    assert again.read == len(intents) and again.skipped == len(intents) - len(with_outcome)


def test_a_crash_mid_page_resumes_after_the_last_payment_published(tmp_path):
    intents = [intent(n) for n in range(30)]
    file = CheckpointFile(tmp_path / "cp.json")

    class Crashing(FakePublisher):
        def publish(self, data, ordering_key, attributes):
            if len(self.published) == 12:
                raise SystemExit("killed")
            return super().publish(data, ordering_key, attributes)

    first = Crashing()
    with pytest.raises(SystemExit):
        Backfill(
            FakePages(intents), first, SPAN, Options(publish_per_second=1000), checkpoint=file
        ).run()
    second = FakePublisher()
    resumed(intents, second, file)
    ids = [p.ordering_key for p in first.published + second.published]
    assert sorted(ids) == sorted(i["id"] for i in intents)


def test_failed_publishes_are_counted_kept_and_published_first_on_resume(tmp_path):
    intents = [intent(n) for n in range(4)]
    file = CheckpointFile(tmp_path / "cp.json")

    class FailingTwice(FakePublisher):
        failures = 2

        def publish(self, data, ordering_key, attributes):
            if ordering_key in ("pi_0001", "pi_0002") and self.failures:
                self.failures -= 1
                raise PublishError("DeadlineExceeded")
            return super().publish(data, ordering_key, attributes)

    first = FailingTwice()
    report = Backfill(
        FakePages(intents), first, SPAN, Options(publish_per_second=1000), checkpoint=file
    ).run()
    assert (report.failed, report.pending, report.ok) == (2, 2, False)
    assert sorted(report.failed_ids) == ["pi_0001", "pi_0002"]
    with pytest.raises(CheckpointMismatch, match="--resume"):
        start_state(file, SPAN, resume=False, dry_run=False)
    second = FakePublisher()
    again = resumed(intents, second, file)
    assert again.ok
    assert sorted(p.ordering_key for p in second.published) == ["pi_0001", "pi_0002"]


def test_resume_refuses_another_range_and_a_missing_checkpoint(tmp_path):
    file = CheckpointFile(tmp_path / "cp.json")
    with pytest.raises(CheckpointMismatch, match="nothing to resume"):
        start_state(file, SPAN, resume=True, dry_run=False)
    file.save(Checkpoint(SINCE, UNTIL, cursor="pi_1"))
    with pytest.raises(CheckpointMismatch, match="another range"):
        start_state(file, BackfillRange(SINCE - 86400, UNTIL), resume=True, dry_run=False)
    (tmp_path / "bad.json").write_text(json.dumps({"version": 99}))
    with pytest.raises(CheckpointMismatch, match="cannot be read"):
        CheckpointFile(tmp_path / "bad.json").load()


def test_a_finished_backfill_may_be_run_again_afresh(tmp_path):
    file = CheckpointFile(tmp_path / "cp.json")
    file.save(Checkpoint(SINCE, UNTIL, finished=True))
    assert start_state(file, SPAN, resume=False, dry_run=False) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-01", 1_704_067_200),
        ("2024-01-01T12:00:00Z", 1_704_110_400),
        ("2024-01-01T14:00:00+02:00", 1_704_110_400),
    ],
)
def test_dates_are_days_in_utc_or_times_with_a_zone(text, expected):
    assert parse_date(text, "--since") == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01", "2024-01-01T12:00:00"])
def test_a_bad_date_is_refused_with_its_name(text):
    with pytest.raises(InvalidRange, match="--since"):
        parse_date(text, "--since")


def test_a_range_must_not_be_empty():
    with pytest.raises(InvalidRange):
        BackfillRange(UNTIL, SINCE)


@pytest.mark.parametrize(
    ("key", "pace"),
    [("sk_live_abc", 50.0), ("rk_live_abc", 50.0), ("sk_test_abc", 12.5), ("rk_test_x", 12.5)],
)
def test_the_stripe_pace_is_half_the_limit_of_the_keys_mode(key, pace):
    assert stripe_pace(key) == pace


def test_a_stop_asked_for_while_backing_off_from_stripe_ends_the_run_at_once(tmp_path):
    pages, clock = FakePages([intent(n) for n in range(3)]), Clock()
    pages.fail_next = [StripeFailure("unavailable", "Stripe 503", 503)] * 5
    stop = {"asked": False}

    def sleep_then_stop(seconds: float) -> None:
        clock.sleep(seconds)
        stop["asked"] = True

    job = Backfill(
        pages,
        FakePublisher(),
        SPAN,
        Options(publish_per_second=100),
        checkpoint=CheckpointFile(tmp_path / "cp.json"),
        stop_requested=lambda: stop["asked"],
        clock=clock,
        sleep=sleep_then_stop,
    )
    report = job.run()
    assert report.interrupted and len(pages.calls) == 1


def test_a_malformed_payment_intent_is_skipped_and_counted_the_others_published():
    broken = {**intent(1), "currency": None}
    publisher = FakePublisher()
    _, report = run(FakePages([intent(0), broken, intent(2)]), publisher, Clock())
    assert report.malformed == 1 and report.skipped == 1
    assert sorted(p.ordering_key for p in publisher.published) == ["pi_0000", "pi_0002"]
