"""Catching up on a backlog in bulk, before the faust worker joins its group.

A worker that starts far behind its reports (a first start on years of history, a rebuild after
the broker lost its data, a long outage) would otherwise take them one message at a time through
faust, acknowledged trigger send and changelog write each: about 700 reports a second. Here the
same rule engine (`handlers.apply_report`, so the decisions and event ids are the ones the
stream would give) runs over large batches read straight from the broker; per chunk the trigger
events are sent and acknowledged first, then each changed employee's state is written once to
the table's changelog (on the partition of the employee's reports, where faust keeps it), then
the group's offsets are committed. faust then starts as usual: it restores the table from the
changelog and goes on from the committed offsets.

A crash mid-chunk repeats the chunk on the next start: the same trigger events with the same
ids (consumers drop repeats), written over the same state. Only an idle group is caught up this
way: offsets cannot be committed for partitions a live worker owns, and that worker is reading
them anyway.
"""

import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

from halsosupport.consumer import deadletter_value
from halsosupport.kafka import ensure_topics
from halsosupport.kafka_security import aiokafka_security, kafka_python_security
from schemas import decode, encode
from schemas.topics import DEADLETTER, REPORTS, TRIGGERS, TopicSpec
from services.triggers.domain import Policy
from services.triggers.handlers import EmployeeState, ReportEvent, apply_report
from services.triggers.settings import TriggersSettings

log = structlog.get_logger("triggers.catch_up")

TABLE = "employee-state"
CHUNK = 5_000  # reports between commits: what a crash makes the next start do again


def changelog_topic(settings: TriggersSettings) -> str:
    """faust's name for the table's changelog."""
    return f"{settings.triggers_app_id}-{TABLE}-changelog"


@dataclass
class Progress:
    """What /healthz shows while the worker catches up."""

    behind: int = 0
    applied: int = 0
    triggers_sent: int = 0
    deadlettered: int = 0
    employees: int = 0
    done: bool = False
    started_at: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, Any]:
        return {
            "behind_at_start": self.behind,
            "applied": self.applied,
            "triggers_sent": self.triggers_sent,
            "deadlettered": self.deadlettered,
            "employees": self.employees,
            "seconds": round(time.monotonic() - self.started_at, 1),
        }


async def catch_up(settings: TriggersSettings, policy: Policy, progress: Progress) -> None:
    """Bring the group's offsets and the table's changelog up to the reports' end as of now,
    if the group is idle and at least `triggers_catch_up_from` reports behind."""
    # Waited for even when no catch-up is wanted: a worker that joins while its killed
    # predecessor is still a member goes through a second rebalance mid-recovery, the window
    # in which faust 0.15.3 dropped paused reports (see entrypoints/transport.py). With the
    # wait it joins once.
    idle = await _group_becomes_idle(settings)
    if settings.triggers_catch_up_from <= 0 or not idle:
        return
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.triggers_app_id,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        fetch_max_bytes=16 * 1024 * 1024,
        **aiokafka_security(settings),
    )
    await reader.start()
    try:
        partitions = reader.partitions_for_topic(REPORTS) or set()
        tps = [TopicPartition(REPORTS, p) for p in sorted(partitions)]
        if not tps:
            return
        reader.assign(tps)
        committed, ends = await _committed_and_ends(reader, tps)
        progress.behind = _behind(committed, ends)
        if progress.behind < settings.triggers_catch_up_from:
            return
        log.info("catching_up", behind=progress.behind, partitions=len(tps))
        for tp in tps:
            reader.seek(tp, committed[tp])
        states = await _load_states(settings, len(tps))
        await _apply_backlog(settings, policy, reader, tps, ends, states, progress)
        progress.employees = len(states)
        log.info("caught_up", **progress.as_json())
    finally:
        progress.done = True
        await reader.stop()


async def reports_waiting(settings: TriggersSettings, partitions: list[int]) -> int:
    """How many reports on these partitions lie beyond the group's committed offsets."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        group_id=settings.triggers_app_id,
        enable_auto_commit=False,
        **aiokafka_security(settings),
    )
    await reader.start()
    try:
        return _behind(
            *await _committed_and_ends(reader, [TopicPartition(REPORTS, p) for p in partitions])
        )
    finally:
        await reader.stop()


async def _committed_and_ends(
    reader: AIOKafkaConsumer, tps: list[TopicPartition]
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """The group's committed offset of each partition (its start if none yet) and its end."""
    starts = await reader.beginning_offsets(tps)
    ends = await reader.end_offsets(tps)
    return {tp: (await reader.committed(tp)) or starts[tp] for tp in tps}, ends


def _behind(committed: dict[TopicPartition, int], ends: dict[TopicPartition, int]) -> int:
    return sum(max(0, ends[tp] - committed[tp]) for tp in committed)


async def _group_becomes_idle(settings: TriggersSettings) -> bool:
    """Is the group idle, or does it become so within a session timeout? A worker killed a
    moment ago stays a member until its session times out; its successor waits that out."""
    deadline = time.monotonic() + session_timeout_s(settings) + 2.0
    while not await _group_is_idle(settings):
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.5)
    return True


def session_timeout_s(settings: TriggersSettings) -> float:
    """The worker's group session timeout (faust's broker_session_timeout)."""
    return max(6.0, 2 * settings.kafka_rebalance_timeout_s)


async def _group_is_idle(settings: TriggersSettings) -> bool:
    """No member in the group (or no group yet): nobody else reads or commits these offsets.
    (One group per request: tansu answers a request for several with the fields shifted.)"""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="hs-triggers-catch-up",
        **aiokafka_security(settings),
    )
    try:
        await admin.start()
        (response,) = await admin.describe_consumer_groups([settings.triggers_app_id])
        (group,) = response.to_object()["groups"]
        return group["error_code"] == 0 and not group["members"]
    except Exception as error:  # a broker that cannot tell: leave it to faust
        log.warning("catch_up_skipped", reason=f"group not described: {error}")
        return False
    finally:
        await admin.close()


async def _load_states(
    settings: TriggersSettings, partitions: int
) -> dict[str, tuple[EmployeeState, int]]:
    """The table as faust would restore it: the last state per employee on the changelog, with
    the partition it was written to. `partitions`: the reports topic's, which faust requires of
    the changelog."""
    topic = changelog_topic(settings)
    ensure_topics(
        settings.kafka_bootstrap_servers,
        (TopicSpec(topic, partitions, {"cleanup.policy": "compact"}),),
        security=kafka_python_security(settings),
    )
    reader = AIOKafkaConsumer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        enable_auto_commit=False,
        max_partition_fetch_bytes=4 * 1024 * 1024,
        **aiokafka_security(settings),
    )
    await reader.start()
    states: dict[str, tuple[EmployeeState, int]] = {}
    try:
        tps = [TopicPartition(topic, p) for p in sorted(reader.partitions_for_topic(topic) or [])]
        reader.assign(tps)
        await reader.seek_to_beginning(*tps)
        ends = await reader.end_offsets(tps)
        # Never cut at the end offsets: tansu reports the last batch's base offset + 1.
        while [tp for tp in tps if await reader.position(tp) < ends[tp]]:
            batches = await reader.getmany(timeout_ms=1000, max_records=10_000)
            for tp, records in batches.items():
                for record in records:
                    employee_id = json.loads(record.key)
                    if record.value is None:
                        states.pop(employee_id, None)
                    else:
                        state = EmployeeState.from_json(json.loads(record.value))
                        states[employee_id] = (state, tp.partition)
    finally:
        await reader.stop()
    return states


async def _apply_backlog(
    settings: TriggersSettings,
    policy: Policy,
    reader: AIOKafkaConsumer,
    tps: list[TopicPartition],
    ends: dict[TopicPartition, int],
    states: dict[str, tuple[EmployeeState, int]],
    progress: Progress,
) -> None:
    writer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        linger_ms=5,
        max_batch_size=1 if settings.kafka_one_record_per_batch else 256 * 1024,
        **aiokafka_security(settings),
    )
    await writer.start()
    try:
        chunk = _Chunk()
        while True:
            positions = {tp: await reader.position(tp) for tp in tps}
            if all(positions[tp] >= ends[tp] for tp in tps):
                break
            batches = await reader.getmany(*tps, timeout_ms=1000, max_records=5_000)
            for tp, records in batches.items():
                for record in records:
                    chunk.take(settings, policy, tp, record, states)
                chunk.offsets[tp] = records[-1].offset + 1
            if chunk.size >= CHUNK:
                await chunk.settle(settings, reader, writer, states, progress)
                chunk = _Chunk()
        await chunk.settle(settings, reader, writer, states, progress)
    finally:
        await writer.stop()


@dataclass
class _Chunk:
    """Reports decided but not yet settled: what to send, which states to write, and the
    offsets to commit once both are on the broker."""

    size: int = 0
    sends: list[tuple[str, bytes | None, bytes]] = field(default_factory=list)  # topic, key, value
    changed: set[str] = field(default_factory=set)
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    triggers: int = 0
    deadlettered: int = 0

    def take(
        self,
        settings: TriggersSettings,
        policy: Policy,
        tp: TopicPartition,
        record: Any,
        states: dict[str, tuple[EmployeeState, int]],
    ) -> None:
        self.size += 1
        try:
            event = decode(record.value)
            if not isinstance(event, ReportEvent):
                raise ValueError(f"{event.event_type} does not belong on {REPORTS}")
            known = states.get(event.employee_id)
            new_state, out = apply_report(known[0] if known else EmployeeState(), event, policy)
        except Exception as error:  # invalid message, or a bug on this message
            dead = deadletter_value(
                topic=tp.topic,
                partition=tp.partition,
                offset=record.offset,
                value=record.value,
                group_id=settings.triggers_app_id,
                error=f"{type(error).__name__}: {error}",
            )
            self.sends.append((DEADLETTER, record.key, dead))
            self.deadlettered += 1
            log.error("message_deadlettered", partition=tp.partition, offset=record.offset)
            return
        key = event.employee_id.encode()
        self.sends.extend((TRIGGERS, key, encode(trigger)) for trigger in out)
        self.triggers += len(out)
        states[event.employee_id] = (new_state, tp.partition)
        self.changed.add(event.employee_id)

    async def settle(
        self,
        settings: TriggersSettings,
        reader: AIOKafkaConsumer,
        writer: AIOKafkaProducer,
        states: dict[str, tuple[EmployeeState, int]],
        progress: Progress,
    ) -> None:
        """Events, then states, then offsets, each acknowledged before the next. The producer
        keeps one request in flight per partition, so an employee's events stay in order."""
        if not self.offsets:
            return
        await _all_acknowledged(
            [await writer.send(topic, key=key, value=value) for topic, key, value in self.sends]
        )
        changelog = changelog_topic(settings)
        await _all_acknowledged(
            [
                await writer.send(
                    changelog,
                    key=json.dumps(employee_id).encode(),
                    value=json.dumps(states[employee_id][0].to_json()).encode(),
                    partition=states[employee_id][1],
                )
                for employee_id in self.changed
            ]
        )
        await reader.commit({tp: OffsetAndMetadata(o, "") for tp, o in self.offsets.items()})
        progress.applied += self.size - self.deadlettered
        progress.triggers_sent += self.triggers
        progress.deadlettered += self.deadlettered
        log.info("catch_up_progress", **progress.as_json())


async def _all_acknowledged(deliveries: list["asyncio.Future[Any]"]) -> None:
    """Raises the first failure: the chunk is then repeated by the next start."""
    await asyncio.gather(*deliveries)
