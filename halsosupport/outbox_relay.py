"""The outbox relay: publishes queued events to Kafka in id order and marks them only after the
broker acknowledged them (acks=all). Runs in its own thread because kafka-python blocks.

While the broker is away it retries with backoff; nothing is lost and, with one request in
flight per connection, nothing is reordered. A crash between the ack and the mark republishes
a few events: consumers drop event ids they have already applied.

A broker that lost its data (restarted empty, or its topics deleted and made again) is noticed
by the identity of the topics: Kafka gives every topic a topic id (Metadata v10+, KIP-516) that a
recreated topic does not share. The relay keeps the ids it published to in its database; when
one changed, or the topic is gone, it creates what is missing, republishes every event it ever
recorded for those topics, in order, and only then goes on with new ones.

Shared by every service that publishes through an outbox (intake, cases): each passes its own
unit of work (`OutboxStore`), whose outbox and broker-topic tables live in its own database.
"""

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Protocol, Self

import structlog
from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy.engine import Engine

from halsosupport.consumer import backoff_s
from halsosupport.kafka import NO_TOPIC_ID, describe_topic_ids, ensure_topics
from schemas.topics import TOPICS

log = structlog.get_logger("halsosupport.outbox_relay")


class OutboxRow(Protocol):
    """A stored outbox message, as the relay reads it."""

    id: int | None
    topic: str
    key: str
    payload: str
    published_at: datetime | None


class OutboxStore(Protocol):
    """The queries the relay needs, in one transaction of the service's own database."""

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...

    def unpublished(self, limit: int) -> Sequence[OutboxRow]: ...

    def outbox_count(self, topics: set[str] | None = None) -> int: ...

    def outbox_after(
        self, after_id: int, topics: set[str] | None, limit: int
    ) -> Sequence[OutboxRow]: ...

    def mark_published(self, ids: list[int], *, at: datetime) -> None: ...

    def broker_topic_ids(self) -> dict[str, str]: ...

    def record_broker_topic_ids(self, topic_ids: dict[str, str], *, at: datetime) -> None: ...

    def outbox_lag(self) -> tuple[int, datetime | None]: ...


StoreFactory = Callable[[Engine], OutboxStore]


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: Engine,
        store: StoreFactory,
        client_id: str,
        bootstrap_servers: str,
        poll_interval_s: float = 0.5,
        batch_size: int = 500,
        broker_check_interval_s: float = 5.0,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.client_id = client_id
        self.broker_check_interval_s = broker_check_interval_s
        self.bootstrap_servers = bootstrap_servers
        self.security = dict(security or {})
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.published = 0
        self.last_error: str | None = None
        self.last_published_at: datetime | None = None
        self.broker_losses = 0  # times the broker was found to have lost our topics
        self.last_broker_loss_at: datetime | None = None
        self.replaying = False
        self.replayed = 0  # events republished by the latest replay (so far, while it runs)
        self._checked_at: float | None = None  # time.monotonic() of the last identity check
        self._without_topic_ids_logged = False
        # The topic ids of a loss whose replay has not finished yet (a retry is no new loss).
        self._replay_unfinished: dict[str, str | None] | None = None
        self._admin: KafkaAdminClient | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer: KafkaProducer | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"outbox-relay-{self.client_id}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._producer is not None:
            self._producer.close(timeout=5)
        if self._admin is not None:
            self._admin.close()

    def wake(self) -> None:
        """Publish now rather than at the next poll."""
        self._wake.set()

    def status(self) -> dict[str, Any]:
        """Lag and health for /healthz."""
        with self.store(self.engine) as uow:
            waiting, oldest = uow.outbox_lag()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        return {
            "unpublished": waiting,
            "oldest_unpublished_age_s": (
                None if oldest is None else round((datetime.now(UTC) - oldest).total_seconds(), 1)
            ),
            "published_since_start": self.published,
            "last_published_at": self.last_published_at.isoformat()
            if self.last_published_at
            else None,
            "last_error": self.last_error,
            "broker_losses_noticed": self.broker_losses,
            "last_broker_loss_at": self.last_broker_loss_at.isoformat()
            if self.last_broker_loss_at
            else None,
            "replaying": self.replaying,
            "replayed": self.replayed,
        }

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
                if self._check_due():
                    self.check_broker()
                sent = self.publish_pending()
                attempt = 0
                self.last_error = None
                if sent < self.batch_size:
                    self._wake.wait(self.poll_interval_s)
                    self._wake.clear()
            except Exception as error:  # broker or database away: wait and try again
                self.last_error = str(error)
                log.warning("relay_retrying", error=str(error), attempt=attempt)
                self._drop_producer()
                self._stop.wait(backoff_s(attempt, cap=10.0))
                attempt += 1

    def publish_pending(self) -> int:
        """Publish one batch of queued events; returns how many were published.

        No database transaction stays open while waiting for the broker, so an absent broker
        never blocks the API's writes.
        """
        with self.store(self.engine) as uow:
            rows = [
                (row.id, row.topic, row.key, row.payload)
                for row in uow.unpublished(self.batch_size)
            ]
        if not rows:
            return 0
        # Before sending: a topic lost with the broker's data is created with its own settings
        # (not auto-created by the producer) and what it held is republished first.
        self.check_broker(also={topic for _, topic, _, _ in rows})
        send_acknowledged(self._producer_or_connect(), rows)
        now = datetime.now(UTC)
        with self.store(self.engine) as uow:
            uow.mark_published([row_id for row_id, *_ in rows if row_id is not None], at=now)
            uow.commit()
        self.published += len(rows)
        self.last_published_at = now
        log.debug("outbox_published", count=len(rows))
        return len(rows)

    def _check_due(self) -> bool:
        return (
            self._checked_at is None
            or time.monotonic() - self._checked_at >= self.broker_check_interval_s
        )

    def check_broker(self, also: set[str] | frozenset[str] = frozenset()) -> None:
        """Compare the broker's topic ids with those the relay published to; replay the topics
        the broker lost. `also`: topics about to be published to for the first time."""
        with self.store(self.engine) as uow:
            known = uow.broker_topic_ids()
        topics = set(known) | set(also)
        if not topics:
            return
        current = self._topic_ids(topics)
        missing = sorted(t for t, topic_id in current.items() if topic_id is None)
        if missing:
            ensure_topics(
                self.bootstrap_servers,
                tuple(spec for spec in TOPICS if spec.name in missing),
                security=self.security,
            )
            current = self._topic_ids(topics)
            if any(topic_id is None for topic_id in current.values()):
                raise RuntimeError(f"topics missing on the broker: {missing}")
        if any(topic_id == NO_TOPIC_ID for topic_id in current.values()):
            if not self._without_topic_ids_logged:  # an old broker: nothing to compare
                log.warning("broker_without_topic_ids", topics=sorted(topics))
                self._without_topic_ids_logged = True
            self._checked_at = time.monotonic()
            return
        lost = sorted(t for t, topic_id in known.items() if current[t] != topic_id)
        if lost:
            self._replay_lost(lost, missing, current)
        changed = {t: str(i) for t, i in current.items() if i is not None and known.get(t) != i}
        if changed:
            with self.store(self.engine) as uow:
                uow.record_broker_topic_ids(changed, at=datetime.now(UTC))
                uow.commit()
        self._checked_at = time.monotonic()

    def _topic_ids(self, topics: set[str]) -> dict[str, str | None]:
        """Each topic's id on the broker; None for a topic it does not have."""
        if self._admin is None:
            self._admin = KafkaAdminClient(
                bootstrap_servers=self.bootstrap_servers,
                client_id=f"{self.client_id}-admin",
                request_timeout_ms=5_000,
                bootstrap_timeout_ms=5_000,
                **self.security,
            )
        return describe_topic_ids(self._admin, topics)

    def _replay_lost(
        self, lost: list[str], missing: list[str], current: dict[str, str | None]
    ) -> None:
        """The broker lost these topics' data: publish every event recorded for them again."""
        if current == self._replay_unfinished:  # the same loss; the last attempt failed
            log.warning("outbox_replay_retrying", topics=lost)
        else:
            self.broker_losses += 1
            self.last_broker_loss_at = datetime.now(UTC)
            log.warning(
                "broker_lost_data",
                topics=lost,
                recreated=missing,
                action="republishing every recorded event of these topics",
            )
        self._replay_unfinished = current
        self.replaying, self.replayed = True, 0

        def progress(done: int, total: int) -> None:
            self.replayed = done
            log.info("outbox_replay_progress", done=done, total=total)

        started = time.monotonic()
        try:
            done = republish(
                self.engine,
                self._producer_or_connect(),
                store=self.store,
                topics=set(lost),
                batch_size=self.batch_size,
                on_progress=progress,
                mark_published=True,
            )
        finally:
            self.replaying = False
        self._replay_unfinished = None
        self.replayed = done
        log.warning(
            "outbox_replayed",
            topics=lost,
            events=done,
            seconds=round(time.monotonic() - started, 1),
        )

    def _producer_or_connect(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = ordered_producer(
                self.bootstrap_servers, security=self.security, client_id=self.client_id
            )
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except KafkaError:
                log.debug("producer_close_failed")
            self._producer = None
        if self._admin is not None:
            try:
                self._admin.close()
            except KafkaError:
                log.debug("admin_close_failed")
            self._admin = None


Sendable = tuple[int | None, str, str, str]  # id, topic, key, payload


def send_acknowledged(producer: KafkaProducer, rows: list[Sendable]) -> None:
    """Send in order and return only when the broker acknowledged every message; raise its
    error otherwise (nothing is marked published then, so nothing is lost)."""
    # An empty payload is a tombstone: the key with no value, for compaction to drop the key.
    futures = [
        producer.send(t, key=k.encode(), value=p.encode() if p else None) for _, t, k, p in rows
    ]
    producer.flush(timeout=60)
    for future in futures:
        future.get(timeout=60)


def ordered_producer(
    bootstrap_servers: str,
    *,
    security: Mapping[str, Any] | None = None,
    client_id: str = "halsosupport-outbox-relay",
) -> KafkaProducer:
    """acks=all and one request in flight per connection: nothing lost, nothing reordered."""
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        retries=5,
        max_in_flight_requests_per_connection=1,
        # Not idempotent: the order is kept by the one request in flight, and a retried send's
        # duplicate is dropped by the consumers (event ids). An idempotent producer's id dies
        # with a broker that lost its state, and tansu hands the same ids out again.
        enable_idempotence=False,
        linger_ms=2,
        request_timeout_ms=15_000,
        # Fail fast while the broker is away, so /healthz says so within seconds; the relay's
        # own loop does the waiting.
        bootstrap_timeout_ms=5_000,
        max_block_ms=5_000,
        delivery_timeout_ms=30_000,
        client_id=client_id,
        # A missing topic is created by the relay with its own partitions and settings, never
        # by the broker's defaults.
        allow_auto_create_topics=False,
        **(security or {}),
    )


def replay(
    engine: Engine,
    bootstrap_servers: str,
    *,
    store: StoreFactory,
    topics: set[str] | None = None,
    on_progress: Callable[[int, int], None] = lambda _done, _total: None,
    batch_size: int = 2000,
    security: Mapping[str, Any] | None = None,
) -> int:
    """Publish every event ever recorded, in the order it was recorded: for a broker that lost
    its data, or to rebuild what downstream keeps. Consumers drop event ids they have applied,
    so replaying onto a broker that still has them is harmless. Missing topics are created."""
    specs = tuple(spec for spec in TOPICS if topics is None or spec.name in topics)
    ensure_topics(bootstrap_servers, specs, security=security)
    producer = ordered_producer(bootstrap_servers, security=security)
    try:
        return republish(
            engine,
            producer,
            store=store,
            topics=topics,
            on_progress=on_progress,
            batch_size=batch_size,
        )
    finally:
        producer.close(timeout=5)


def republish(
    engine: Engine,
    producer: KafkaProducer,
    *,
    store: StoreFactory,
    topics: set[str] | None = None,
    on_progress: Callable[[int, int], None] = lambda _done, _total: None,
    batch_size: int = 2000,
    mark_published: bool = False,
) -> int:
    """Every recorded event of `topics` (all when None) through `producer`, in recorded order;
    `mark_published` also marks the rows not yet published, so they are not sent again."""
    with store(engine) as uow:
        total = uow.outbox_count(topics)
    done, after_id = 0, 0
    while True:
        with store(engine) as uow:
            batch = uow.outbox_after(after_id, topics, batch_size)
            rows = [(r.id, r.topic, r.key, r.payload) for r in batch]
            waiting = [r.id for r in batch if r.published_at is None and r.id is not None]
        if not rows:
            return done
        send_acknowledged(producer, rows)
        if mark_published and waiting:
            with store(engine) as uow:
                uow.mark_published(waiting, at=datetime.now(UTC))
                uow.commit()
        done += len(rows)
        after_id = rows[-1][0] or after_id
        on_progress(done, total)
