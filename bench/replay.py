"""Replay: the broker's own limit and the triggers and stats services consuming a generated
history from offset 0, measured in the same run on the same broker.

1. The limit: the history (default 50,000 employees over five years, about a million reports,
   see bench/history.py) is produced to the reports topic of a fresh embedded broker, then read
   back raw (aiokafka `getmany`, no decoding): events/s each way.
2. The services as deployed: `halsosupport triggers` and `halsosupport stats` started as
   processes on their own consumer groups, each timed from its first applied event to its last
   (their /healthz counts what they applied); events/s and the ratio to the raw consume rate.
3. The rule engine alone, in this process, on the same events: the ceiling of the triggers
   service whatever carries the messages to it.

Environment: BENCH_EMPLOYEES, BENCH_YEARS, BENCH_REPLAY_LIMIT (replay only the first N events).
"""

import asyncio
import json
import os
import struct
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bench.history import Shape, reports
from bench.results import record
from halsosupport import processes
from halsosupport.embedded_broker import EmbeddedBroker
from schemas import decode
from schemas.topics import REPORTS
from services.triggers.handlers import EmployeeState, apply_report
from services.triggers.policy import DEFAULT_POLICY, load_policy

SHAPE = Shape(
    employees=int(os.environ.get("BENCH_EMPLOYEES", "50000")),
    years=int(os.environ.get("BENCH_YEARS", "5")),
)
LIMIT = int(os.environ.get("BENCH_REPLAY_LIMIT", "0")) or None
CACHE = Path("var/bench")
GOAL_RATIO = 0.25


def history() -> list[tuple[bytes, bytes]]:
    """The generated history, from a cache file after the first run (generating a million
    events takes a minute or two)."""
    path = CACHE / f"history-{SHAPE.employees}x{SHAPE.years}.bin"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".part")
        with partial.open("wb") as out:
            for n, (key, value) in enumerate(reports(SHAPE), start=1):
                k = key.encode()
                out.write(struct.pack(">HI", len(k), len(value)) + k + value)
                if n % 100_000 == 0:
                    print(f"  generating the history: {n:,} events", flush=True)
        partial.rename(path)
    events = list(_read(path.read_bytes()))
    return events[:LIMIT] if LIMIT else events


def _read(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    at = 0
    while at < len(data):
        key_len, value_len = struct.unpack_from(">HI", data, at)
        at += 6
        key = data[at : at + key_len]
        at += key_len
        yield key, data[at : at + value_len]
        at += value_len


async def produce(bootstrap: str, events: list[tuple[bytes, bytes]]) -> float:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, max_batch_size=512 * 1024
    )
    await producer.start()
    try:
        started = time.perf_counter()
        pending = []
        for key, value in events:
            pending.append(await producer.send(REPORTS, key=key, value=value))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return len(events) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def consume_raw(bootstrap: str, total: int) -> float:
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(REPORTS, p) for p in consumer.partitions_for_topic(REPORTS)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        started, seen = time.perf_counter(), 0
        while seen < total:
            batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            seen += sum(len(records) for records in batches.values())
        return total / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def service_replay(name: str, bootstrap: str, total: int, work: Path) -> dict[str, float]:
    """Start one service on a fresh consumer group and time it through the whole topic."""
    port = processes.free_port()
    env = {
        **os.environ,
        "HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "HALSOSUPPORT_DATABASE_URL": f"sqlite:///{work}/db/{{service}}.sqlite3",
        f"HALSOSUPPORT_{name.upper()}_PORT": str(port),
        "HALSOSUPPORT_TRIGGERS_DATA_DIR": str(work / "triggers"),
        "HALSOSUPPORT_LOG_LEVEL": "WARNING",
        "HALSOSUPPORT_LOG_FORMAT": "json",
    }
    child = processes.spawn(
        [sys.executable, "-m", "halsosupport.cli", name], env=env, log_path=work / f"{name}.log"
    )
    spawned = time.perf_counter()
    first = last_report = None
    try:
        applied = 0
        while applied < total:
            if child.poll() is not None:
                raise RuntimeError(f"{name} exited; see {work / name}.log")
            applied = _applied(name, port)
            now = time.perf_counter()
            if applied and first is None:
                first = (now, applied)
            if last_report is None or now - last_report > 15:
                print(f"  {name}: {applied:,} of {total:,} applied", flush=True)
                last_report = now
            time.sleep(0.2)
        done = time.perf_counter()
    finally:
        processes.stop(child)
    assert first is not None
    return {
        "events": total,
        "events_per_s": round((total - first[1]) / (done - first[0])),
        "seconds_including_start": round(done - spawned, 1),
    }


def _applied(name: str, port: int) -> int:
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return 0
    if name == "stats":
        return int(health["consumer"]["applied"])
    return int(health["applied"])


def engine_alone(events: list[tuple[bytes, bytes]]) -> tuple[float, dict[str, float]]:
    """Events/s of the rule engine in this process, and what the worker's table then holds per
    employee: the JSON it keeps (and writes to the changelog) and that JSON's memory in Python."""
    policy = load_policy(DEFAULT_POLICY)
    states: dict[str, EmployeeState] = {}
    started = time.perf_counter()
    for _, value in events:
        event = decode(value)
        state = states.get(event.employee_id) or EmployeeState()
        states[event.employee_id], _ = apply_report(state, event, policy)
    rate = len(events) / (time.perf_counter() - started)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    table = {employee_id: state.to_json() for employee_id, state in states.items()}
    held = sum(s.size for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    json_bytes = sum(len(json.dumps(value)) for value in table.values())
    return rate, {
        "triggers_state_employees": len(table),
        "triggers_state_json_bytes_per_employee": round(json_bytes / len(table)),
        "triggers_state_memory_bytes_per_employee": round(held / len(table)),
    }


def main() -> None:
    events = history()
    total = len(events)
    size = sum(len(v) for _, v in events) // total
    print(f"replay: {total:,} reports of {SHAPE.employees:,} employees, {size} bytes each")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        broker = EmbeddedBroker(port=processes.free_port(), log_dir=work).start()
        try:
            produced = asyncio.run(produce(broker.bootstrap_servers, events))
            consumed = asyncio.run(consume_raw(broker.bootstrap_servers, total))
            print(f"  raw produce {produced:,.0f}/s, raw consume {consumed:,.0f}/s")
            triggers = service_replay("triggers", broker.bootstrap_servers, total, work)
            stats = service_replay("stats", broker.bootstrap_servers, total, work)
        finally:
            broker.stop()
    engine, state_size = engine_alone(events[: min(total, 200_000)])
    figures = {
        "events": total,
        "event_bytes": size,
        "raw_produce_per_s": round(produced),
        "raw_consume_per_s": round(consumed),
        "triggers_per_s": triggers["events_per_s"],
        "triggers_ratio": round(triggers["events_per_s"] / consumed, 3),
        "stats_per_s": stats["events_per_s"],
        "stats_ratio": round(stats["events_per_s"] / consumed, 3),
        "rule_engine_alone_per_s": round(engine),
        "triggers_seconds_including_start": triggers["seconds_including_start"],
        "stats_seconds_including_start": stats["seconds_including_start"],
        **state_size,
    }
    met = min(figures["triggers_ratio"], figures["stats_ratio"]) >= GOAL_RATIO
    record("replay", figures, goal=f"each service >= {GOAL_RATIO} x raw consume", goal_met=met)
    for name, value in figures.items():
        print(f"  {name:34} {value:>12,}")


if __name__ == "__main__":
    main()
