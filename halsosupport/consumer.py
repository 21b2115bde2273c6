"""The consume loop of the notifier and stats: decode, apply in one database transaction,
then commit the offsets. Nothing is skipped silently.

- A message that is not a valid event, or is an event of another topic, goes to
  `halsosupport.deadletter.v1` with the error.
- A batch that fails because the database or network is away is retried with backoff, for as
  long as it takes; offsets are not committed meanwhile, so nothing is lost.
- A message whose handling fails on its own, repeatedly, is dead-lettered so the flow goes on.
- A broker that lost its data (its topics came back with new topic ids) is read again from the
  start of each lost topic: positions and committed offsets mean nothing on a topic made anew,
  and the handlers drop the events they have already applied. Offsets the new broker holds for
  such a topic are not resumed from until this consumer committed them itself since the loss: a
  commit of positions read before it can reach the new broker (aiokafka retries a commit across
  an outage), and a later rebalance would resume there and skip what the new broker got again.
- A commit the broker refuses (the group rebalanced, or the broker forgot the member) does not
  stop consuming: it is tried again, or dropped at the rebalance, and whoever reads those records
  again applies nothing twice. Any other failure starts the consumer again: consuming never ends
  but by `stop()`.
"""

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    ConsumerRecord,
    TopicPartition,
)
from aiokafka.errors import KafkaError
from pydantic import ValidationError

from halsosupport.db import database_unavailable
from halsosupport.kafka import TopicWatch
from halsosupport.kafka_security import aiokafka_security, kafka_python_security
from halsosupport.settings import CommonSettings
from schemas import decode
from schemas.codec import AnyEvent
from schemas.topics import DEADLETTER

log = structlog.get_logger("halsosupport.consumer")

MESSAGE_ATTEMPTS = 3
# A commit goes out at most this long after a topic check that found no loss, and is given up
# after as long again: aiokafka retries a commit until the broker answers, and a commit that
# waited out an outage would reach whichever broker came back.
COMMIT_WINDOW_S = 1.0


@dataclass(frozen=True)
class Consumed:
    """One decoded event and where it came from."""

    topic: str
    partition: int
    offset: int
    event: AnyEvent


BatchHandler = Callable[[list[Consumed]], None]


def is_transient(error: BaseException) -> bool:
    """Failures that are not the message's fault: the database or the network is away."""
    return database_unavailable(error) or isinstance(error, OSError | ConnectionError)


def backoff_s(attempt: int, *, base: float = 0.5, cap: float = 30.0) -> float:
    """Exponential backoff with full jitter."""
    return float(random.uniform(0, min(cap, base * 2**attempt)))


def deadletter_value(
    *, topic: str, partition: int, offset: int, value: bytes | None, group_id: str, error: str
) -> bytes:
    """What a dead letter says: where the message was, why it failed, and the message itself."""
    raw = value.decode("utf-8", "replace") if value is not None else None
    return json.dumps(
        {
            "topic": topic,
            "partition": partition,
            "offset": offset,
            "consumer_group": group_id,
            "error": error[:2000],
            "at": datetime.now(UTC).isoformat(),
            "value": raw,
        }
    ).encode()


class EventConsumer:
    """Consumes topics in a group and applies batches through `handle` (run in a thread)."""

    def __init__(
        self,
        *,
        settings: CommonSettings,
        group_id: str,
        topics: list[str],
        handle: BatchHandler,
        batch_size: int = 500,
    ) -> None:
        self.settings = settings
        self.group_id = group_id
        self.topics = topics
        self.handle = handle
        self.batch_size = batch_size
        self.applied = 0
        # Records waiting behind the last batch read (as of the broker's last answer): a
        # handler can tell a backlog from the live stream by it.
        self.behind = 0
        self.deadlettered = 0
        self.last_error: str | None = None
        self.broker_losses = 0
        self.restarts = 0
        self._stopping = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._watch = TopicWatch(
            settings.kafka_bootstrap_servers, topics, security=kafka_python_security(settings)
        )
        self._checked_at = 0.0
        self._one_check_at_a_time = asyncio.Lock()
        # Kept across restarts of the consumer: which topics the broker lost, and the partitions
        # of those this consumer has committed since (the only offsets there it resumes from).
        self._lost_topics: set[str] = set()
        self._committed_since_loss: set[TopicPartition] = set()
        # The next offsets of what was applied and is not committed yet. Forgotten at every
        # rebalance and every loss noticed: what was read before is not committed after.
        self._uncommitted: dict[TopicPartition, int] = {}
        self._epoch = 0
        self._in_group = False
        # Assigned partitions whose read position is known: only from then on is a record
        # published to them sure to be read (with auto_offset_reset=latest, one published
        # between the assignment and the position's lookup would be skipped).
        self._positioned: set[TopicPartition] = set()

    def stop(self) -> None:
        self._stopping.set()

    def status(self) -> dict[str, Any]:
        return {
            "group": self.group_id,
            "assigned_partitions": (
                len(self._positioned & self._consumer.assignment()) if self._consumer else 0
            ),
            "applied": self.applied,
            "behind": self.behind,
            "deadlettered": self.deadlettered,
            "last_error": self.last_error,
            "broker_losses_noticed": self.broker_losses,
            "consumer_restarts": self.restarts,
        }

    def build_consumer(self) -> AIOKafkaConsumer:
        """The group's consumer, not yet connected (call from inside the event loop)."""
        rebalance_ms = int(self.settings.kafka_rebalance_timeout_s * 1000)
        # Subscribed in `run`, with the listener that rewinds topics the broker lost.
        return AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset=self.settings.kafka_auto_offset_reset,
            rebalance_timeout_ms=rebalance_ms,
            session_timeout_ms=max(6000, 2 * rebalance_ms),
            heartbeat_interval_ms=1000,
            max_poll_interval_ms=300_000,
            fetch_max_wait_ms=self.settings.kafka_fetch_max_wait_ms,
            **aiokafka_security(self.settings),
        )

    async def run(self) -> None:
        """Consume until `stop()`. Broker outages are waited out inside; any other failure
        starts the consumer again after a backoff (a consume task that ended would leave the
        service answering while nothing is applied any more)."""
        attempt = 0
        while not self._stopping.is_set():
            started = time.monotonic()
            try:
                await self._consume()
            except Exception as error:
                self.restarts += 1
                self.last_error = f"consumer: {error!r}"
                log.exception("consumer_failed", group=self.group_id, action="starting again")
                attempt = 0 if time.monotonic() - started > 60 else attempt + 1
                await asyncio.sleep(backoff_s(attempt))

    async def _consume(self) -> None:
        consumer = self.build_consumer()
        producer = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            acks="all",
            **aiokafka_security(self.settings),
        )
        self._consumer, self._in_group = consumer, False
        self._forget_uncommitted()
        try:
            await self._start_with_retry(consumer, producer)
            consumer.subscribe(self.topics, listener=_RewindLostTopics(self, consumer))
            while not self._stopping.is_set():
                if (
                    time.monotonic() - self._checked_at
                    >= self.settings.kafka_broker_check_interval_s
                ):
                    await self.check_broker(consumer)
                batches = await consumer.getmany(timeout_ms=500, max_records=self.batch_size)
                epoch = self._epoch  # what getmany returns holds for the assignment of now
                self.behind = await _behind(consumer)
                self._positioned = await _positioned(consumer, self._positioned)
                records = [r for partition in batches.values() for r in partition]
                if records:
                    await self._process(records, producer)
                    if epoch == self._epoch:
                        self._uncommitted.update(
                            {tp: rs[-1].offset + 1 for tp, rs in batches.items()}
                        )
                if self._uncommitted:
                    await self._commit(consumer)
        finally:
            self._consumer, self._in_group = None, False
            await consumer.stop()
            await producer.stop()

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        """Commit what was applied, unless it may not belong to the broker the commit would
        reach: never onto a broker that lost the topics it was read from. What is not committed
        now is tried again on the next round."""
        if time.monotonic() - self._checked_at >= COMMIT_WINDOW_S:
            if await self.check_broker(consumer) is None:
                return  # the broker did not answer: a broker that comes back may be a new one
        if not self._in_group or not self._uncommitted:  # a rebalance, or a loss just found
            return
        offsets, epoch = dict(self._uncommitted), self._epoch
        try:
            await asyncio.wait_for(consumer.commit(offsets), COMMIT_WINDOW_S)
        except (KafkaError, TimeoutError) as error:
            log.warning(
                "commit_failed",
                group=self.group_id,
                error=str(error) or type(error).__name__,
                action="tried again on the next round",
            )
            return
        if epoch != self._epoch:
            return  # a loss noticed meanwhile: that commit may have reached the new broker
        for tp, offset in offsets.items():
            if self._uncommitted.get(tp) == offset:
                del self._uncommitted[tp]
        self._committed_since_loss.update(offsets)

    async def check_broker(self, consumer: AIOKafkaConsumer) -> bool | None:
        """Read the topics the broker lost since the last check again from their start (checked
        at every assignment, every `kafka_broker_check_interval_s` and before committing); True
        when it lost some, None when it did not answer."""
        try:
            lost = await self._lost_since_last_check()
        except Exception as error:  # the broker is away: the next check will tell
            log.debug("topic_check_failed", group=self.group_id, error=str(error))
            return None
        if lost:
            await self._rewind(consumer, lost)
        return bool(lost)

    async def _lost_since_last_check(self) -> list[str]:
        async with self._one_check_at_a_time:  # kafka-python's client is not thread-safe
            lost = await asyncio.to_thread(self._watch.lost)
        self._checked_at = time.monotonic()
        return lost

    async def _rewind(self, consumer: AIOKafkaConsumer, lost: list[str]) -> None:
        self.broker_losses += 1
        self._forget_uncommitted()
        self._lost_topics.update(lost)
        self._committed_since_loss = {
            tp for tp in self._committed_since_loss if tp.topic not in lost
        }
        rewound = [tp for tp in consumer.assignment() if tp.topic in lost]
        log.warning(
            "broker_lost_data",
            group=self.group_id,
            topics=lost,
            partitions=len(rewound),
            action="reading these topics again from the start",
        )
        if rewound:
            await consumer.seek_to_beginning(*rewound)

    def _forget_uncommitted(self) -> None:
        self._epoch += 1
        self._uncommitted.clear()

    def _revoked(self) -> None:
        self._in_group = False
        self._positioned = set()  # a partition assigned again is positioned again
        self._forget_uncommitted()

    async def _assigned(self, consumer: AIOKafkaConsumer, assigned: set[TopicPartition]) -> None:
        """Start a lost topic's partitions from the beginning rather than from an offset this
        consumer did not commit since the loss (seeking first: nothing is fetched before), then
        check for a loss the rebalance came with."""
        self._forget_uncommitted()
        untrusted = [
            tp
            for tp in assigned
            if tp.topic in self._lost_topics and tp not in self._committed_since_loss
        ]
        if untrusted:
            log.info(
                "committed_offsets_not_resumed",
                group=self.group_id,
                partitions=len(untrusted),
                reason="not committed by this consumer since the broker lost the topic",
            )
            await consumer.seek_to_beginning(*untrusted)
        await self.check_broker(consumer)
        self._in_group = True

    async def _start_with_retry(
        self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer
    ) -> None:
        attempt = 0
        while True:
            try:
                await producer.start()
                # The topic ids before anything is consumed, to tell a loss from (a loss while
                # the consumer was starting again, too).
                lost = await self._lost_since_last_check()
                if lost:
                    await self._rewind(consumer, lost)
                await consumer.start()
                log.info("consumer_started", group=self.group_id, topics=self.topics)
                return
            except Exception as error:  # the broker is not there yet: wait for it
                self.last_error = f"broker: {error}"
                log.warning("broker_unavailable", group=self.group_id, error=str(error))
                await asyncio.sleep(backoff_s(attempt))
                attempt += 1

    async def _process(self, records: list[ConsumerRecord], producer: AIOKafkaProducer) -> None:
        decoded: list[tuple[ConsumerRecord, Consumed]] = []
        for record in records:
            if record.value is None:
                # A tombstone on the compacted directory topic tells compaction to drop a
                # key; no read model here applies erasure yet.
                log.info("tombstone_skipped", topic=record.topic, offset=record.offset)
                continue
            try:
                event = decode(record.value)
            except ValidationError as error:
                await self._deadletter(producer, record, f"invalid event: {error}")
                continue
            if event.topic != record.topic:  # valid, but not what this topic carries
                await self._deadletter(
                    producer, record, f"invalid event: {event.event_type} does not belong here"
                )
                continue
            decoded.append((record, Consumed(record.topic, record.partition, record.offset, event)))
        if decoded:
            await self._apply(decoded, producer)

    async def _apply(
        self, decoded: list[tuple[ConsumerRecord, Consumed]], producer: AIOKafkaProducer
    ) -> None:
        batch = [consumed for _, consumed in decoded]
        attempt = 0
        while True:
            try:
                await asyncio.to_thread(self.handle, batch)
                self.applied += len(batch)
                self.last_error = None
                return
            except Exception as error:
                self.last_error = str(error)
                if is_transient(error) or attempt < 2:
                    log.warning("batch_failed_retrying", error=str(error), attempt=attempt)
                    await asyncio.sleep(backoff_s(attempt))
                    attempt += 1
                    continue
                log.warning("batch_failed_applying_one_by_one", error=str(error))
                break
        for record, consumed in decoded:
            await self._apply_one(record, consumed, producer)

    async def _apply_one(
        self, record: ConsumerRecord, consumed: Consumed, producer: AIOKafkaProducer
    ) -> None:
        attempt = 0
        while True:
            try:
                await asyncio.to_thread(self.handle, [consumed])
                self.applied += 1
                return
            except Exception as error:
                if is_transient(error):
                    await asyncio.sleep(backoff_s(attempt))
                    attempt += 1
                    continue
                if attempt + 1 >= MESSAGE_ATTEMPTS:
                    await self._deadletter(producer, record, f"handler failed: {error!r}")
                    return
                attempt += 1

    async def _deadletter(
        self, producer: AIOKafkaProducer, record: ConsumerRecord, error: str
    ) -> None:
        value = deadletter_value(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            value=record.value,
            group_id=self.group_id,
            error=error,
        )
        await producer.send_and_wait(DEADLETTER, key=record.key, value=value)
        self.deadlettered += 1
        log.error(
            "message_deadlettered",
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            error=error[:300],
        )


class _RewindLostTopics(ConsumerRebalanceListener):  # type: ignore[misc]
    """A broker that lost its data makes the group join again, and any rebalance resumes from
    committed offsets: decide where a lost topic starts before fetching."""

    def __init__(self, owner: EventConsumer, consumer: AIOKafkaConsumer) -> None:
        self.owner = owner
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: object) -> None:
        self.owner._revoked()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        await self.owner._assigned(self.consumer, assigned)


async def _positioned(
    consumer: AIOKafkaConsumer, known: set[TopicPartition]
) -> set[TopicPartition]:
    """The assigned partitions whose position is known: `known` (of those still assigned) and
    those looked up now, or after waiting a moment for the lookup."""
    assigned = consumer.assignment()
    found = known & assigned
    for tp in assigned - found:
        try:
            await asyncio.wait_for(consumer.position(tp), 1.0)
        except (KafkaError, TimeoutError):  # a rebalance took it, or the lookup is still on
            continue
        found.add(tp)
    return found


async def _behind(consumer: AIOKafkaConsumer) -> int:
    """Records between the positions and the high watermarks the last fetches reported."""
    waiting = 0
    for tp in consumer.assignment():
        highwater = consumer.highwater(tp)
        if highwater is not None:
            waiting += max(0, highwater - await consumer.position(tp))
    return waiting
