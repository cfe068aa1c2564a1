"""redrive: each dead letter republished with its ordering key and attributes, acked only after."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from servicekit.publishing import PublishError
from writer.redrive import DeadLetter, redrive


@dataclass
class Journal:
    entries: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class FakeSource:
    journal: Journal
    letters: list[DeadLetter]
    acked: list[str] = field(default_factory=list)
    nacked: list[str] = field(default_factory=list)
    leased: dict[str, DeadLetter] = field(default_factory=dict)

    def pull(self, max_messages: int):
        # Like Pub/Sub: an unacked message is leased, so not handed out again until nacked.
        batch, self.letters = self.letters[:max_messages], self.letters[max_messages:]
        self.leased.update((b.ack_id, b) for b in batch)
        return batch

    def ack(self, ack_ids):
        self.journal.entries.extend(("ack", a) for a in ack_ids)
        self.acked.extend(ack_ids)

    def nack(self, ack_ids):
        returned = [self.leased.pop(a) for a in ack_ids]
        self.letters = returned + self.letters
        self.nacked.extend(ack_ids)


@dataclass
class JournalPublisher:
    journal: Journal
    fail_for: set[str] = field(default_factory=set)
    published: list[tuple[bytes, str, dict[str, str]]] = field(default_factory=list)

    def publish(self, data, ordering_key, attributes):
        if ordering_key in self.fail_for:
            raise PublishError("publish to topic failed: DeadlineExceeded")
        self.journal.entries.append(("publish", ordering_key))
        self.published.append((data, ordering_key, dict(attributes)))
        return str(len(self.published))


def letter(n: int, ordering_key: str | None = None) -> DeadLetter:
    pi = f"pi_{n}"
    return DeadLetter(
        ack_id=f"ack-{n}",
        data=f'{{"n": {n}}}'.encode(),
        attributes={
            "event_id": f"evt_{n}",
            "payment_intent_id": pi,
            "schema_version": "1",
            "dead_letter_reason": "Wix refused the item (WDE0075)",
            "original_message_id": f"m-{n}",
            "dead_lettered_at": "2026-11-22T10:00:00+00:00",
            "delivery_attempt": "5",
        },
        ordering_key=pi if ordering_key is None else ordering_key,
    )


def setup(letters, fail_for=()):
    journal = Journal()
    return journal, FakeSource(journal, letters), JournalPublisher(journal, set(fail_for))


def test_every_dead_letter_is_republished_with_its_key_and_original_attributes_then_acked():
    journal, source, publisher = setup([letter(1), letter(2)])
    report = redrive(source, publisher, None)
    assert (report.republished, report.failed) == (2, 0)
    assert [(key, attrs) for _, key, attrs in publisher.published] == [
        ("pi_1", {"event_id": "evt_1", "payment_intent_id": "pi_1", "schema_version": "1"}),
        ("pi_2", {"event_id": "evt_2", "payment_intent_id": "pi_2", "schema_version": "1"}),
    ]
    assert publisher.published[0][0] == b'{"n": 1}'
    assert source.acked == ["ack-1", "ack-2"]
    # Each ack comes after that message's publish.
    for ack_id in source.acked:
        n = ack_id.split("-")[1]
        assert journal.entries.index(("publish", f"pi_{n}")) < journal.entries.index(
            ("ack", ack_id)
        )


def test_a_message_whose_republish_fails_is_not_acked_and_stays_dead_lettered():
    _, source, publisher = setup([letter(1), letter(2), letter(3)], fail_for={"pi_2"})
    report = redrive(source, publisher, None)
    assert (report.republished, report.failed) == (2, 1)
    assert "ack-2" not in source.acked
    assert sorted(source.acked) == ["ack-1", "ack-3"]


def test_when_every_republish_fails_nothing_is_acked_and_redrive_stops():
    _, source, publisher = setup([letter(1), letter(2)], fail_for={"pi_1", "pi_2"})
    report = redrive(source, publisher, None)
    assert (report.republished, report.failed) == (0, 2)
    assert source.acked == []


def test_max_limits_how_many_are_taken():
    _, source, publisher = setup([letter(n) for n in range(250)])
    report = redrive(source, publisher, 120)
    assert report.republished == 120
    assert len(source.letters) == 130


def test_a_letter_without_an_ordering_key_gets_its_payment_as_the_key():
    _, source, publisher = setup([letter(7, ordering_key="")])
    redrive(source, publisher, None)
    assert publisher.published[0][1] == "pi_7"


class PoisonAgain(JournalPublisher):
    """The main topic, with a writer that dead-letters the message again at once."""

    def __init__(self, journal, source):
        super().__init__(journal)
        self.source = source

    def publish(self, data, ordering_key, attributes):
        message_id = super().publish(data, ordering_key, attributes)
        again = replace(
            letter(int(ordering_key.split("_")[1])),
            ack_id=f"again-{message_id}",
            dead_lettered=datetime.now(UTC),
        )
        self.source.letters.append(again)
        return message_id


def test_a_message_that_is_still_poison_is_republished_once_per_run_not_forever():
    journal = Journal()
    before = datetime.now(UTC) - timedelta(hours=1)
    source = FakeSource(journal, [replace(letter(1), dead_lettered=before)])
    publisher = PoisonAgain(journal, source)
    report = redrive(source, publisher, None)
    assert (report.republished, report.left_for_later) == (1, 1)
    assert source.nacked == ["again-1"], "handed back for the next run"
