"""Helpers shared by the tests: a movable clock, topic readers, polling with a deadline."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from kafka import KafkaProducer

from halsosupport.kafka import read_all
from schemas import decode, encode
from schemas.envelope import Channel, Event, OrgRef, Source
from schemas.triggers import RecipientRole, TriggerFired

T = TypeVar("T")


@dataclass
class FixedClock:
    """A clock the test moves by hand."""

    moment: datetime = datetime(2026, 3, 16, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def random_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def eventually(
    check: Callable[[], T | None], *, timeout_s: float = 20.0, every_s: float = 0.2
) -> T:
    """Poll until `check` returns something truthy; fail with the deadline otherwise."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every_s)
    raise AssertionError(f"condition not met within {timeout_s} s (last value: {last!r})")


def read_topic(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None]]:
    """Every (key, value) on the topic right now, read without a consumer group: the commands'
    reader (it knows the embedded broker's end offsets), which raises rather than return part of
    the topic when the broker stops answering."""
    return list(read_all(bootstrap, topic))


def events_on(bootstrap: str, topic: str, employee_id: str) -> list[Event]:
    """The decoded events about one employee on a topic, in order."""
    found = []
    for key, value in read_topic(bootstrap, topic):
        if key == employee_id.encode() and value is not None:
            found.append(decode(value))
    return found


def publish(bootstrap: str, *events: Event, raw: list[tuple[str, bytes]] | None = None) -> None:
    """Put events (and optionally raw messages) on their topics, as intake would."""
    # One record per batch: the embedded broker answers "latest" with the last batch's first
    # offset + 1, so a consumer of a later test starting there would read the rest of a batch.
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", batch_size=1)
    try:
        for event in events:
            producer.send(event.topic, key=event.partition_key().encode(), value=encode(event))
        for topic, value in raw or []:
            producer.send(topic, key=b"poison", value=value)
        producer.flush(10)
    finally:
        producer.close()


def omtankesamtal_fired(
    employee_id: str, org: OrgRef, at: datetime, **changes: object
) -> TriggerFired:
    """An omtankesamtal trigger as the triggers worker sends it, for the manager alone unless
    `changes` say otherwise (any field of TriggerFired)."""
    fields: dict[str, object] = {
        "event_id": uuid.uuid4(),
        "occurred_at": at,
        "source": Source(channel=Channel.SYSTEM, registered_by="triggers"),
        "employee_id": employee_id,
        "org": org,
        "trigger_id": random_id("t"),
        "rule_id": "omtankesamtal",
        "policy_version": "2.0",
        "occasion_count": 4,
        "window_start": at.date(),
        "window_end": at.date(),
        "spell_ids": [],
        "occasions": [],
        "recipient_roles": [RecipientRole.MANAGER],
    }
    return TriggerFired(**{**fields, **changes})  # type: ignore[arg-type]
