"""Kafka helpers shared by the services and the commands: readiness, topic creation and reading
a whole topic."""

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import structlog
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from schemas.topics import TOPICS, TopicSpec

log = structlog.get_logger("halsosupport.kafka")


class BrokerUnavailable(RuntimeError):
    """The broker did not answer within the deadline."""


def wait_for_broker(
    bootstrap_servers: str, *, timeout_s: float = 30.0, security: Mapping[str, Any] | None = None
) -> None:
    """Block until the broker answers a metadata request (`security`: kafka_python_security)."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            admin = KafkaAdminClient(
                bootstrap_servers=bootstrap_servers,
                request_timeout_ms=3000,
                client_id="hs-ready",
                **(security or {}),
            )
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as error:
            last_error = error
            time.sleep(0.2)
    raise BrokerUnavailable(
        f"no Kafka broker at {bootstrap_servers} after {timeout_s:.0f} s: {last_error}"
    )


def ensure_topics(
    bootstrap_servers: str,
    specs: tuple[TopicSpec, ...] = TOPICS,
    *,
    security: Mapping[str, Any] | None = None,
) -> list[str]:
    """Create the topics that are missing; return the names created. Existing ones are kept."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="hs-topics", **(security or {})
    )
    try:
        existing = set(admin.list_topics())
        created = []
        for spec in specs:
            if spec.name in existing:
                continue
            try:
                admin.create_topics(
                    [NewTopic(spec.name, spec.partitions, 1, topic_configs=dict(spec.config))]
                )
                created.append(spec.name)
            except TopicAlreadyExistsError:
                continue
        if created:
            log.info("topics_created", topics=created)
        return created
    finally:
        admin.close()


def read_all(
    bootstrap_servers: str,
    topic: str,
    *,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
    idle_timeout_s: float = 5.0,
    security: Mapping[str, Any] | None = None,
) -> Iterator[tuple[bytes | None, bytes | None]]:
    """Every (key, value) on `topic` from offset 0 up to (at least) its end as of the call, in
    each partition's order, without a consumer group (nothing is committed).

    Records are never cut at the end offsets: the embedded broker (tansu 0.6) reports the last
    batch's base offset + 1 as the end, so the whole last batch must be taken as it comes.
    """
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        enable_auto_commit=False,
        client_id="hs-read-all",
        **(security or {}),
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or []]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        ends = consumer.end_offsets(partitions)
        starts = consumer.beginning_offsets(partitions)
        total = sum(ends[tp] - starts[tp] for tp in partitions)
        done = 0
        idle_since = time.monotonic()
        while any(consumer.position(tp) < ends[tp] for tp in partitions):
            batches = consumer.poll(timeout_ms=200)
            if not batches and time.monotonic() - idle_since > idle_timeout_s:
                raise BrokerUnavailable(f"{topic}: no records for {idle_timeout_s:.0f} s")
            for records in batches.values():
                idle_since = time.monotonic()
                for record in records:
                    done += 1
                    yield record.key, record.value
                on_progress(done, max(total, done))
    finally:
        consumer.close()


UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION
NO_TOPIC_ID = "00000000-0000-0000-0000-000000000000"  # a broker without topic ids (before 2.8)


def describe_topic_ids(admin: KafkaAdminClient, topics: set[str]) -> dict[str, str | None]:
    """Each topic's id on the broker (Metadata v10+, KIP-516): a topic made again, e.g. by a
    broker that lost its data, has a new one. None for a topic the broker does not have."""
    return {
        name: None if topic is None else str(topic["topic_id"] or NO_TOPIC_ID)
        for name, topic in _described(admin, topics).items()
    }


def _described(admin: KafkaAdminClient, topics: set[str]) -> dict[str, dict[str, Any] | None]:
    """The broker's metadata of each topic; None for a topic it does not have. The admin API
    never creates a topic, as a producer's or consumer's metadata request may."""
    found: dict[str, dict[str, Any] | None] = {}
    for topic in admin.describe_topics(sorted(topics)):
        if topic["error_code"] == UNKNOWN_TOPIC:
            found[topic["name"]] = None
        elif topic["error_code"]:
            raise KafkaError(f"metadata of {topic['name']}: error {topic['error_code']}")
        else:
            found[topic["name"]] = topic
    return found


def partition_count(
    bootstrap_servers: str, topic: str, *, security: Mapping[str, Any] | None = None
) -> int | None:
    """How many partitions `topic` has on the broker (None: no such topic), without making it
    (with the broker's default partition count) by asking."""
    admin = KafkaAdminClient(
        bootstrap_servers=bootstrap_servers, client_id="hs-partitions", **(security or {})
    )
    try:
        described = _described(admin, {topic}).get(topic)
    finally:
        admin.close()
    return None if described is None else len(described["partitions"])


class TopicWatch:
    """Notices a broker that lost topics: their ids changed (or they are gone) since first seen.
    For consumers, whose positions and committed offsets do not hold on a topic made anew."""

    def __init__(
        self,
        bootstrap_servers: str,
        topics: list[str],
        *,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        self.topics = set(topics)
        self.security = dict(security or {})
        self.known: dict[str, str] = {}

    def lost(self) -> list[str]:
        """The topics lost since the last call (blocking: call it from a thread)."""
        admin = KafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers,
            client_id="hs-topic-watch",
            request_timeout_ms=3_000,
            bootstrap_timeout_ms=3_000,
            **self.security,
        )
        try:
            current = describe_topic_ids(admin, self.topics)
        finally:
            admin.close()
        lost = sorted(t for t, i in current.items() if t in self.known and i != self.known[t])
        for topic, topic_id in current.items():
            if topic_id is None:
                self.known.pop(topic, None)  # gone: whatever comes back is new
            elif topic_id != NO_TOPIC_ID:
                self.known[topic] = topic_id
        return lost
