"""The limit: raw produce and consume throughput of the embedded broker (tansu, memory storage)
with aiokafka, for events the size of a real `SickReported`, over the reports topic's partition
count. No service is involved, so no later benchmark can beat these figures on this machine;
they say how much of a service's cost is the broker's.

Produces BENCH_BROKER_MESSAGES (default 200,000) with acks=all, then reads them all back with
`getmany` from offset 0 (no consumer group). Prints its figures; run with `make bench`.
"""

import asyncio
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.results import record
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.processes import free_port
from schemas import encode
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import AbsenceType, ReasonVisibility, SickReported
from schemas.topics import REPORTS, TOPICS

MESSAGES = int(os.environ.get("BENCH_BROKER_MESSAGES", "200000"))
PARTITIONS = next(spec.partitions for spec in TOPICS if spec.name == REPORTS)


def sample_event() -> bytes:
    """A sick report as intake publishes it, as the line most often registers it
    (reason withheld, expected return given)."""
    event = SickReported(
        event_id=uuid.uuid4(),
        occurred_at=datetime.now(UTC),
        source=Source(channel=Channel.NURSE, registered_by=uuid.uuid4().hex),
        employee_id=uuid.uuid4().hex,
        org=OrgRef(workplace_id="vof-01", department_id="vof", manager_id=uuid.uuid4().hex),
        spell_id=uuid.uuid4().hex,
        absence_type=AbsenceType.SICK,
        sick_from=date(2026, 11, 23),
        degree_percent=100,
        reason_visibility=ReasonVisibility.WITHHELD,
        expected_return=date(2026, 11, 26),
    )
    return encode(event)


async def produce(servers: str, value: bytes, keys: list[bytes]) -> float:
    """Seconds to send every message and have the broker acknowledge it (acks=all)."""
    # 256 KiB batches (aiokafka's default is 16 KiB, ~27 of these events): the limit is the
    # broker's, not a small batch's; with the default this machine produced ~26,000 msg/s.
    producer = AIOKafkaProducer(
        bootstrap_servers=servers, acks="all", linger_ms=5, max_batch_size=262_144
    )
    await producer.start()
    try:
        started = time.perf_counter()
        pending = []
        for n in range(MESSAGES):
            pending.append(await producer.send(REPORTS, value=value, key=keys[n % len(keys)]))
            if len(pending) >= 10_000:  # bound the futures held, as a real producer would
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def consume(servers: str) -> tuple[float, int]:
    """Seconds to read every message back from offset 0, and the bytes read."""
    consumer = AIOKafkaConsumer(bootstrap_servers=servers, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(REPORTS, p) for p in range(PARTITIONS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started = time.perf_counter()
        # Counted, not compared with end offsets: tansu 0.6 reports a partition's end as its
        # last batch's first offset + 1 (see halsosupport.kafka.read_all).
        read = size = 0
        while read < MESSAGES:
            batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
            for records in batches.values():
                read += len(records)
                size += sum(len(r.value or b"") for r in records)
        return time.perf_counter() - started, size
    finally:
        await consumer.stop()


def main() -> None:
    value = sample_event()
    keys = [uuid.UUID(int=random.Random(1).getrandbits(128) + n).hex.encode() for n in range(5000)]
    broker = EmbeddedBroker(port=free_port(), log_dir=Path(tempfile.mkdtemp(prefix="hs-bench-")))
    broker.start()
    try:
        produce_s = asyncio.run(produce(broker.bootstrap_servers, value, keys))
        consume_s, size = asyncio.run(consume(broker.bootstrap_servers))
    finally:
        broker.stop()
    figures = {
        "messages": MESSAGES,
        "partitions": PARTITIONS,
        "bytes per event": len(value),
        "produce msg/s (acks=all)": round(MESSAGES / produce_s),
        "consume msg/s (getmany)": round(MESSAGES / consume_s),
        "consume MB/s": round(size / consume_s / 1e6, 1),
    }
    print(
        f"broker limit: {MESSAGES:,} events of {len(value)} bytes over {PARTITIONS} partitions "
        f"(tansu, memory storage, aiokafka): produce {figures['produce msg/s (acks=all)']:,} "
        f"msg/s (acks=all), consume {figures['consume msg/s (getmany)']:,} msg/s"
    )
    record("broker_limit", figures)


if __name__ == "__main__":
    main()
