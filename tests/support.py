"""Helpers shared by the tests: a movable clock, topic readers, polling with a deadline."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from schemas import decode, encode
from schemas.envelope import Event

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


def read_topic(
    bootstrap: str, topic: str, *, timeout_s: float = 3.0
) -> list[tuple[bytes | None, bytes | None]]:
    """Every (key, value) on the topic right now, read without a consumer group."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        records: list[tuple[bytes | None, bytes | None]] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and any(
            consumer.position(tp) < ends[tp] for tp in partitions
        ):
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend((r.key, r.value) for r in batch)
        return records
    finally:
        consumer.close()


def events_on(bootstrap: str, topic: str, employee_id: str) -> list[Event]:
    """The decoded events about one employee on a topic, in order."""
    found = []
    for key, value in read_topic(bootstrap, topic):
        if key == employee_id.encode() and value is not None:
            found.append(decode(value))
    return found


def publish(bootstrap: str, *events: Event, raw: list[tuple[str, bytes]] | None = None) -> None:
    """Put events (and optionally raw messages) on their topics, as intake would."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for event in events:
            producer.send(event.topic, key=event.partition_key().encode(), value=encode(event))
        for topic, value in raw or []:
            producer.send(topic, key=b"poison", value=value)
        producer.flush(10)
    finally:
        producer.close()
