"""The consumers (notifier, stats) when the broker comes back empty: whatever happened to the
positions and commits of before, every event on the new topics is applied. A private embedded
broker in memory is restarted empty on the same port; the consumer runs on an event loop of its
own thread, as in a service."""

import asyncio
import concurrent.futures
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from aiokafka import AIOKafkaConsumer, TopicPartition
from kafka import KafkaAdminClient, KafkaProducer
from kafka import TopicPartition as KafkaTopicPartition

from halsosupport.consumer import Consumed, EventConsumer
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.settings import CommonSettings
from schemas import encode
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported
from schemas.topics import NOTIFICATIONS, REPORTS
from tests.integration.conftest import restart_empty
from tests.support import eventually, random_id

P0 = TopicPartition(REPORTS, 0)


def reports(count: int) -> list[SickReported]:
    return [
        SickReported(
            event_id=uuid.uuid4(),
            occurred_at=datetime(2026, 11, 23, 7, tzinfo=UTC),
            source=Source(channel=Channel.NURSE, registered_by="n"),
            employee_id=random_id("e"),
            org=OrgRef(workplace_id="w-1", department_id="d-1"),
            spell_id=random_id("s"),
            absence_type="sick",
            sick_from=date(2026, 11, 22),
            degree_percent=100,
            reason_visibility=ReasonVisibility.WITHHELD,
        )
        for _ in range(count)
    ]


def put(broker: EmbeddedBroker, events: list[SickReported]) -> set[str]:
    """On the reports topic's partition 0, in order, one record per batch."""
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all", batch_size=1)
    try:
        for event in events:
            producer.send(REPORTS, value=encode(event), partition=0)
        producer.flush(10)
    finally:
        producer.close()
    return {str(e.event_id) for e in events}


def committed(broker: EmbeddedBroker, group: str) -> int:
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        offsets = admin.list_group_offsets({group: [KafkaTopicPartition(REPORTS, 0)]})
    finally:
        admin.close()
    return int(offsets[group][KafkaTopicPartition(REPORTS, 0)].offset)


class Running:
    """An EventConsumer on an event loop of its own thread, and what it applied."""

    def __init__(self, broker: EmbeddedBroker, group: str, topics: list[str]) -> None:
        settings = CommonSettings(
            kafka_bootstrap_servers=broker.bootstrap_servers,
            kafka_rebalance_timeout_s=1,
            kafka_broker_check_interval_s=0.2,
        )
        self.consumer = EventConsumer(
            settings=settings, group_id=group, topics=topics, handle=self._handle
        )
        self.applied: set[str] = set()
        self.open = threading.Event()
        self.open.set()
        self.waiting = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=[self._run()])

    async def _run(self) -> None:
        await self.consumer.run()

    def _handle(self, batch: list[Consumed]) -> None:
        if not self.open.is_set():
            self.waiting.set()
            self.open.wait()
        self.applied.update(str(item.event.event_id) for item in batch)

    def assigned(self) -> int:
        return int(self.consumer.status()["assigned_partitions"])

    @contextmanager
    def stalled(self) -> Iterator[None]:
        """The whole consumer stands still, as a process starved of CPU does: no fetch, no
        heartbeat, no commit."""
        go_on = threading.Event()
        self.loop.call_soon_threadsafe(go_on.wait)
        try:
            yield
        finally:
            go_on.set()


@contextmanager
def running(
    broker: EmbeddedBroker, group: str, topics: tuple[str, ...] = (REPORTS,)
) -> Iterator[Running]:
    consuming = Running(broker, group, list(topics))
    consuming.thread.start()
    try:
        eventually(consuming.assigned, timeout_s=30)
        yield consuming
    finally:
        consuming.open.set()
        consuming.loop.call_soon_threadsafe(consuming.consumer.stop)
        consuming.thread.join(timeout=30)
        consuming.loop.close()


def commit_as_a_consumer_no_longer_in_the_group(
    broker: EmbeddedBroker, group: str, at: int
) -> None:
    """A commit without membership (generation -1), as aiokafka sends one after the broker forgot
    the member: a broker takes it for a group that has no members yet, as on a broker new."""

    async def commit() -> None:
        client = AIOKafkaConsumer(
            bootstrap_servers=broker.bootstrap_servers, group_id=group, enable_auto_commit=False
        )
        await client.start()
        try:
            client.assign([P0])
            await client.commit({P0: at})
        finally:
            await client.stop()

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in the
    # main thread for the whole session, and asyncio.run refuses to start beside it.
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, commit()).result()


def test_a_commit_that_waited_out_the_loss_neither_ends_consuming_nor_skips_anything(broker):
    """The batch is applied while the broker goes away; its commit would be the positions read
    from the broker before, sent to the one that came back empty (which refuses the member)."""
    with running(broker, "loss-a") as consumer:
        before = put(broker, reports(3))
        eventually(lambda: before <= consumer.applied)
        consumer.open.clear()
        held = put(broker, reports(1))
        assert consumer.waiting.wait(timeout=20)
        broker.stop()
        consumer.open.set()
        time.sleep(5)  # the check before the commit fails meanwhile: the broker is away
        broker.start()
        republished = put(broker, reports(2))  # as intake's relay republishes, then goes on
        eventually(lambda: republished <= consumer.applied, timeout_s=60)
        assert held <= consumer.applied
        assert consumer.consumer.broker_losses == 1
        assert consumer.consumer.restarts == 0


def test_an_offset_committed_onto_the_new_broker_is_not_resumed_from_after_a_rebalance(broker):
    """A commit of the positions of before reached the new broker while the consumer stood
    still; the consumer then noticed the loss and read from the start. A rebalance after that
    resumes from committed offsets: never from one this consumer did not commit since."""
    with running(broker, "loss-b") as consumer:
        before = put(broker, reports(10))
        eventually(lambda: before <= consumer.applied)
        eventually(lambda: committed(broker, "loss-b") == 10)
        with consumer.stalled():
            restart_empty(broker)
            commit_as_a_consumer_no_longer_in_the_group(broker, "loss-b", at=10)
        eventually(lambda: consumer.consumer.broker_losses == 1, timeout_s=30)
        eventually(consumer.assigned, timeout_s=30)
        # Another member joins the group (for another topic): a rebalance, same partitions.
        with running(broker, "loss-b", topics=(NOTIFICATIONS,)):
            after = put(broker, reports(12))
            eventually(lambda: after <= consumer.applied, timeout_s=30)
