"""The outbox relay: publishes queued events to Kafka in id order and marks them only after the
broker acknowledged them (acks=all). Runs in its own thread because kafka-python blocks.

While the broker is away it retries with backoff; nothing is lost and, with one request in
flight per connection, nothing is reordered. A crash between the ack and the mark republishes
a few events: consumers drop event ids they have already applied.
"""

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from kafka import KafkaProducer
from kafka.errors import KafkaError
from sqlalchemy.engine import Engine

from halsosupport.consumer import backoff_s
from services.intake.adapters.sql_repo import SqlUnitOfWork

log = structlog.get_logger("intake.outbox_relay")


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: Engine,
        bootstrap_servers: str,
        poll_interval_s: float = 0.5,
        batch_size: int = 500,
        security: Mapping[str, Any] | None = None,
    ) -> None:
        self.engine = engine
        self.bootstrap_servers = bootstrap_servers
        self.security = dict(security or {})
        self.poll_interval_s = poll_interval_s
        self.batch_size = batch_size
        self.published = 0
        self.last_error: str | None = None
        self.last_published_at: datetime | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._producer: KafkaProducer | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._producer is not None:
            self._producer.close(timeout=5)

    def wake(self) -> None:
        """Publish now rather than at the next poll."""
        self._wake.set()

    def status(self) -> dict[str, Any]:
        """Lag and health for /healthz."""
        with SqlUnitOfWork(self.engine) as uow:
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
        }

    def _run(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            try:
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
        with SqlUnitOfWork(self.engine) as uow:
            rows = [
                (row.id, row.topic, row.key, row.payload)
                for row in uow.unpublished(self.batch_size)
            ]
        if not rows:
            return 0
        send_acknowledged(self._producer_or_connect(), rows)
        now = datetime.now(UTC)
        with SqlUnitOfWork(self.engine) as uow:
            uow.mark_published([row_id for row_id, *_ in rows if row_id is not None], at=now)
            uow.commit()
        self.published += len(rows)
        self.last_published_at = now
        log.debug("outbox_published", count=len(rows))
        return len(rows)

    def _producer_or_connect(self) -> KafkaProducer:
        if self._producer is None:
            self._producer = ordered_producer(self.bootstrap_servers, security=self.security)
        return self._producer

    def _drop_producer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=1)
            except KafkaError:
                log.debug("producer_close_failed")
            self._producer = None


OutboxRow = tuple[int | None, str, str, str]  # id, topic, key, payload


def send_acknowledged(producer: KafkaProducer, rows: list[OutboxRow]) -> None:
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
    bootstrap_servers: str, *, security: Mapping[str, Any] | None = None
) -> KafkaProducer:
    """acks=all and one request in flight per connection: nothing lost, nothing reordered."""
    return KafkaProducer(
        bootstrap_servers=bootstrap_servers,
        acks="all",
        retries=5,
        max_in_flight_requests_per_connection=1,
        linger_ms=2,
        request_timeout_ms=15_000,
        # Fail fast while the broker is away, so /healthz says so within seconds; the relay's
        # own loop does the waiting.
        bootstrap_timeout_ms=5_000,
        max_block_ms=5_000,
        delivery_timeout_ms=30_000,
        client_id="halsosupport-intake-relay",
        **(security or {}),
    )


def replay(
    engine: Engine,
    bootstrap_servers: str,
    *,
    topics: set[str] | None = None,
    on_progress: Callable[[int, int], None] = lambda _done, _total: None,
    batch_size: int = 2000,
    security: Mapping[str, Any] | None = None,
) -> int:
    """Publish every event ever recorded, in the order it was recorded: for a broker that lost
    its data, or to rebuild what downstream keeps. Consumers drop event ids they have applied,
    so replaying onto a broker that still has them is harmless."""
    with SqlUnitOfWork(engine) as uow:
        total = uow.outbox_count(topics)
    producer = ordered_producer(bootstrap_servers, security=security)
    done, after_id = 0, 0
    try:
        while True:
            with SqlUnitOfWork(engine) as uow:
                rows = [
                    (r.id, r.topic, r.key, r.payload)
                    for r in uow.outbox_after(after_id, topics, batch_size)
                ]
            if not rows:
                return done
            send_acknowledged(producer, rows)
            done += len(rows)
            after_id = rows[-1][0] or after_id
            on_progress(done, total)
    finally:
        producer.close(timeout=5)
