"""The triggers stream processor: a thin faust adapter around the pure rule engine.

Run with `halsosupport triggers`. Per employee it keeps the spells of the longest window plus a
margin in a faust table (changelog-backed); on each report it recomputes the occasions and
sends what the rules decide to `halsosupport.triggers.v1`, keyed by employee id.

A broker that lost its data (the reports topic came back with a new topic id) took the trigger
events, the table's changelog and the group's offsets with it: the worker then starts itself
again in the same process (exec). Starting on such a broker is a rebuild: an empty changelog,
no committed offsets, so every report is read from the start and the trigger events come out
again with the same deterministic ids (the notifier and stats drop repeats). Rewinding faust in
place instead left its private read and commit offsets stale and lost reports now and then.
"""

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp.web
import faust
import structlog
from kafka.admin import KafkaAdminClient

from halsosupport.consumer import backoff_s, deadletter_value
from halsosupport.kafka import TopicWatch, ensure_topics, partition_count
from halsosupport.kafka_security import faust_security, kafka_python_security
from schemas import decode, encode
from schemas.directory import EmployeeErased
from schemas.topics import DEADLETTER, DIRECTORY, REPORTS, TOPICS, TRIGGERS
from services.triggers import catch_up
from services.triggers.domain import Policy
from services.triggers.entrypoints import transport
from services.triggers.entrypoints.faust_recovery import seek_before_resuming
from services.triggers.handlers import EmployeeState, ReportEvent, TriggerEvent, apply_report, tick
from services.triggers.settings import TriggersSettings

log = structlog.get_logger("triggers.worker")

REPORT_PARTITIONS = next(spec.partitions for spec in TOPICS if spec.name == REPORTS)
AGENT_CRASHED = 70  # EX_SOFTWARE: the worker's exit status when an agent raised
# How many broker losses this worker restarted for, kept across the exec for /healthz.
LOSSES_BEFORE_RESTART = "TRIGGERS_BROKER_LOSSES_NOTICED"
# Set for the exec after a broker's loss only: the new worker drops faust's topics first.
REBUILD_AFTER_LOSS = "TRIGGERS_REBUILD_AFTER_LOSS"
# How many times this worker started again because it had stalled (see `restart_if_stalled`).
STALLS_BEFORE_RESTART = "TRIGGERS_STALLS_NOTICED"
STALL_AFTER_S = 20.0  # reports waiting and none applied for this long: stalled
STALL_CHECK_INTERVAL_S = 5.0
# The command's arguments as started (faust rewrites sys.argv for its own command line).
COMMAND_LINE: list[str] = sys.argv[1:]


def create_app(
    settings: TriggersSettings,
    policy: Policy,
    watch: TopicWatch | None = None,
    caught_up: catch_up.Progress | None = None,
    report_partitions: int = REPORT_PARTITIONS,
) -> faust.App:
    """The faust app with its one agent; nothing is connected until the worker starts.
    `watch`: the reports topic's identity, as first seen (see `run`); `caught_up`: what the
    bulk catch-up before it did; `report_partitions`: the reports topic's partitions on the
    broker, which the table's changelog and the ticks topic must match."""
    rebalance_s = settings.kafka_rebalance_timeout_s
    seek_before_resuming()
    app = faust.App(
        settings.triggers_app_id,
        broker=f"{transport.register(settings.kafka_fetch_max_wait_ms)}://"
        f"{settings.kafka_bootstrap_servers}",
        store="memory://",
        datadir=str(settings.triggers_data_dir),
        web_host=settings.triggers_host,
        web_port=settings.triggers_port,
        web_in_thread=False,
        topic_partitions=report_partitions,
        consumer_auto_offset_reset="earliest",
        broker_rebalance_timeout=rebalance_s,
        broker_session_timeout=catch_up.session_timeout_s(settings),
        broker_heartbeat_interval=1.0,
        producer_acks=-1,
        producer_max_batch_size=1 if settings.kafka_one_record_per_batch else 16384,
        key_serializer="raw",
        value_serializer="raw",
        **faust_security(settings),
    )
    reports = app.topic(REPORTS, key_serializer="raw", value_serializer="raw")
    triggers = app.topic(TRIGGERS, key_serializer="raw", value_serializer="raw")
    directory = app.topic(DIRECTORY, key_serializer="raw", value_serializer="raw")
    deadletter = app.topic(DEADLETTER, key_serializer="raw", value_serializer="raw")
    states = app.Table(
        "employee-state",
        default=None,
        partitions=report_partitions,
        schema=faust.Schema(key_serializer="json", value_serializer="json"),
    )
    # Ticks: the timer may not write the table (faust ties every write to the partition of the
    # message being processed), so it sends a tick per employee with something due, and the
    # tick agent, on the employee's own partition, decides and writes.
    ticks = app.topic(
        ticks_topic(settings),
        internal=True,
        partitions=report_partitions,
        key_serializer="raw",
        value_serializer="raw",
    )
    losses = int(os.environ.get(LOSSES_BEFORE_RESTART, "0"))
    stalls = int(os.environ.get(STALLS_BEFORE_RESTART, "0"))
    caught_up = caught_up or catch_up.Progress()
    counters = {"applied": caught_up.applied, "ticks": 0, "triggers_sent": caught_up.triggers_sent,
                "deadlettered": caught_up.deadlettered, "erased": 0,
                "broker_losses_noticed": losses, "stalls_noticed": stalls}  # fmt: skip
    watch = watch or reports_watch(settings)

    def now() -> datetime:
        return datetime.now(UTC) + timedelta(days=settings.triggers_clock_offset_days)

    async def send_triggers(employee_id: str, out: list[TriggerEvent]) -> None:
        for trigger_event in out:
            await send_until_accepted(triggers, employee_id.encode(), encode(trigger_event))
            log.info(
                "trigger_event_sent",
                event_type=trigger_event.event_type,
                rule_id=trigger_event.rule_id,
                employee_id=employee_id,
            )
        counters["triggers_sent"] += len(out)

    async def deadletter_message(message: Any, error: str) -> None:
        dead = deadletter_value(
            topic=message.message.topic,
            partition=message.message.partition,
            offset=message.message.offset,
            value=message.value,
            group_id=settings.triggers_app_id,
            error=error,
        )
        await send_until_accepted(deadletter, message.key, dead)
        counters["deadlettered"] += 1
        log.error("message_deadlettered", error=error[:300])

    # The report and tick agents both read an employee's state, await the broker while sending
    # what they decided, and write the state back: interleaved, the second write lost the
    # first's announcements (a withdrawal then never went out; worker-crash chaos scenario).
    one_decision_at_a_time = asyncio.Lock()

    @app.agent(reports)
    async def process_reports(stream: faust.StreamT[bytes]) -> None:
        # Exceptions are handled here, not left to faust: its supervisor would restart the
        # agent and acknowledge the failing message, losing it.
        async for message in stream.events():
            # Checked before applying, at most once a second: a report read from a broker that
            # lost its data must not be applied to state built before (nor its state written
            # to a changelog the broker made up on the spot).
            if time.monotonic() - checked["at"] >= 1.0:
                await restart_if_broker_lost_data()
            structlog.contextvars.bind_contextvars(
                topic=message.message.topic,
                partition=message.message.partition,
                offset=message.message.offset,
            )
            async with one_decision_at_a_time:
                try:
                    event = decode(message.value)
                    if not isinstance(event, ReportEvent):
                        raise ValueError(f"{event.event_type} does not belong on {REPORTS}")
                    state = EmployeeState.from_json(states.get(event.employee_id))
                    new_state, out = apply_report(state, event, policy)
                except Exception as error:  # invalid message, or a bug on this message
                    await deadletter_message(message, f"{type(error).__name__}: {error}")
                    continue
                # The trigger events first, then the state that records them as announced: a
                # worker killed in between decides again on the redelivered report and sends the
                # same events (same ids; consumers drop repeats). The other order loses them: the
                # state would say "announced" for events that never reached the broker.
                await send_triggers(event.employee_id, out)
                states[event.employee_id] = new_state.to_json()
                counters["applied"] += 1

    @app.timer(interval=settings.triggers_tick_interval_s)
    async def look_for_due_rules() -> None:
        """Runs shortly after start too, so what fell due while the worker was down fires."""
        moment = now()
        due = [
            key
            for key, value in list(states.items())
            if tick(EmployeeState.from_json(value), key, policy, moment)[1]
        ]
        for employee_id in due:
            payload = json.dumps({"now": moment.isoformat()}).encode()
            await send_until_accepted(ticks, employee_id.encode(), payload)
        if due:
            log.info("ticks_sent", employees=len(due))

    @app.agent(directory)
    async def process_directory(stream: faust.StreamT[bytes]) -> None:
        """Only erasure matters here: it is handed to the tick agent on the employee's own
        partition of the table, which drops the state."""
        async for message in stream.events():
            if message.value is None:
                continue  # a tombstone: compaction's business
            try:
                event = decode(message.value)
                if event.topic != DIRECTORY:
                    raise ValueError(f"{event.event_type} does not belong on {DIRECTORY}")
            except Exception as error:
                await deadletter_message(message, f"{type(error).__name__}: {error}")
                continue
            if isinstance(event, EmployeeErased):
                erase = json.dumps({"erase": True}).encode()
                await send_until_accepted(ticks, event.employee_id.encode(), erase)

    @app.agent(ticks)
    async def process_ticks(stream: faust.StreamT[bytes]) -> None:
        async for message in stream.events():
            async with one_decision_at_a_time:
                await apply_tick(message.key.decode(), json.loads(message.value))

    async def apply_tick(employee_id: str, tick_message: dict[str, Any]) -> None:
        if tick_message.get("erase"):
            if employee_id in states:  # counted only when there was state to drop
                del states[employee_id]
                counters["erased"] += 1
                log.info("employee_state_erased", employee_id=employee_id)
            return
        moment = datetime.fromisoformat(tick_message["now"])
        state = EmployeeState.from_json(states.get(employee_id))
        new_state, out = tick(state, employee_id, policy, moment)
        if out:
            await send_triggers(employee_id, out)  # before the state, as for reports
            states[employee_id] = new_state.to_json()
        counters["ticks"] += 1

    checked = {"at": time.monotonic()}

    one_check_at_a_time = asyncio.Lock()  # the watch's kafka-python client is not thread-safe

    async def restart_if_broker_lost_data() -> None:
        checked["at"] = time.monotonic()
        try:
            async with one_check_at_a_time:
                lost = await asyncio.to_thread(watch.lost)
        except Exception as error:  # the broker is away: the next check will tell
            log.debug("topic_check_failed", error=str(error))
            return
        if lost:
            restart_to_rebuild(lost, counters["broker_losses_noticed"] + 1)

    @app.on_partitions_assigned.connect
    async def check_broker_on_assignment(_app: Any, _assigned: Any = None, **_kw: Any) -> None:
        """A broker that lost its data makes the group join again: check before fetching."""
        await restart_if_broker_lost_data()

    @app.timer(interval=settings.kafka_broker_check_interval_s)
    async def check_broker() -> None:
        await restart_if_broker_lost_data()

    progress = {"done": -1, "since": time.monotonic()}

    @app.timer(interval=STALL_CHECK_INTERVAL_S)
    async def restart_if_stalled() -> None:
        """A safety net. faust 0.15.3 stopped applying reports after a restart that restored
        the table from its changelog (the worker-crash chaos scenario, about one run in five
        under load), while its /healthz said ok: reports fetched while their partitions were
        paused were dropped with aiokafka's position moved past them. `transport.py` and
        `faust_recovery.py` close the two ways it happened; should another appear, a worker
        that has reports waiting on its partitions and has applied none of them for
        STALL_AFTER_S starts again in place: it resumes from its committed offsets, and what it
        decides again carries the same ids."""
        done = counters["applied"] + counters["deadlettered"]
        assigned = [tp for tp in app.assignor.assigned_actives() if tp.topic == REPORTS]
        if done != progress["done"] or not assigned or not app.tables.recovery.completed.is_set():
            progress.update(done=done, since=time.monotonic())
            return
        if time.monotonic() - progress["since"] < STALL_AFTER_S:
            return
        try:
            waiting = await catch_up.reports_waiting(settings, [tp.partition for tp in assigned])
        except Exception as error:  # the broker is away: nothing to fetch from it either
            log.warning("stall_check_failed", error=str(error))
            return
        if waiting <= 0:
            log.debug("idle_with_nothing_waiting", partitions=len(assigned))
            progress["since"] = time.monotonic()
            return
        restart_in_place(
            "worker_stalled",
            waiting=waiting,
            seconds_without_progress=round(time.monotonic() - progress["since"]),
            **{STALLS_BEFORE_RESTART: str(stalls + 1)},
        )

    # faust's `app.agent` passes its own error callback and takes no other; this replaces it.
    for agent in (process_reports, process_directory, process_ticks):
        agent._on_error = exit_on_agent_crash

    @app.page("/healthz")
    async def healthz(web: Any, _request: Any) -> Any:
        return web.json(
            {
                "status": "ok",
                "service": "triggers",
                "policy": policy.policy_version,
                "policy_effective_from": str(policy.effective_from or ""),
                "policy_decided_by": policy.decided_by,
                "assigned_partitions": len(app.assignor.assigned_actives()),
                **counters,
                "caught_up_in_bulk": caught_up.as_json() if caught_up.behind else None,
            }
        )

    return app


async def exit_on_agent_crash(agent: Any, error: BaseException) -> None:
    """An agent that raised is restarted by faust with the failing message acknowledged: a
    report whose state was not written would be lost, and a fault that repeats (a changelog that
    faust refuses, say) would fail every report while /healthz said ok. Exit instead: the
    supervisor (Kubernetes, `halsosupport run`) sees it, and a new worker reads again from the
    last committed offset, as after a SIGKILL."""
    log.critical("agent_crashed", agent=str(agent.name), error=f"{type(error).__name__}: {error}")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(AGENT_CRASHED)


def restart_to_rebuild(lost: list[str], losses: int) -> None:
    restart_in_place(
        "broker_lost_data",
        topics=lost,
        action="starting again to rebuild the employee states from the start of the reports",
        **{LOSSES_BEFORE_RESTART: str(losses), REBUILD_AFTER_LOSS: "1"},
    )


def restart_in_place(event: str, **facts: Any) -> None:
    """Replace this process with a fresh worker (same pid, so a supervisor sees no exit).
    Upper-case facts are passed on to it in the environment; the rest are logged."""
    env = {k: v for k, v in facts.items() if k.isupper()}
    log.warning(event, **{k: v for k, v in facts.items() if not k.isupper()})
    os.environ.update(env)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "halsosupport.cli", *COMMAND_LINE])


async def send_until_accepted(topic: faust.TopicT, key: bytes | None, value: bytes) -> None:
    """Send and wait for the broker's acknowledgement, retrying with backoff while it is away:
    a failure that is not the message's fault is retried, never skipped."""
    attempt = 0
    while True:
        try:
            delivery = await topic.send(key=key, value=value)
            await delivery  # resolves once the broker acknowledged the message
            return
        except Exception as error:
            log.warning("send_retrying", topic=topic.get_topic_name(), error=str(error))
            await asyncio.sleep(backoff_s(attempt))
            attempt += 1


def reports_watch(settings: TriggersSettings) -> TopicWatch:
    return TopicWatch(
        settings.kafka_bootstrap_servers, [REPORTS], security=kafka_python_security(settings)
    )


def run(settings: TriggersSettings, policy: Policy) -> None:
    """Start the worker and block until it is stopped (SIGINT/SIGTERM)."""
    settings.triggers_data_dir.mkdir(parents=True, exist_ok=True)  # faust does not create it
    # The reports topic's id before anything is consumed, to tell a broker's loss from.
    watch = reports_watch(settings)
    attempt = 0
    while True:
        try:
            watch.lost()
            break
        except Exception as error:  # the broker is not there yet: wait for it
            log.warning("broker_unavailable", error=str(error))
            time.sleep(backoff_s(attempt, cap=5.0))
            attempt += 1
    if os.environ.pop(REBUILD_AFTER_LOSS, None):
        drop_internal_topics(settings)
    partitions = report_partitions(settings)
    caught_up = catch_up.Progress()
    asyncio.run(catch_up_showing_health(settings, policy, caught_up))
    app = create_app(settings, policy, watch, caught_up, partitions)
    worker = faust.Worker(app, loglevel=settings.log_level, override_logging=False, quiet=True)
    log.info(
        "triggers_starting",
        policy=policy.policy_version,
        effective_from=str(policy.effective_from or ""),
        decided_by=policy.decided_by,
        rules=sorted(policy.rule_ids),
        port=settings.triggers_port,
    )
    worker.execute_from_commandline()


def report_partitions(settings: TriggersSettings) -> int:
    """The reports topic's partition count as the broker has it, the topic made first if it is
    missing. A broker that lost its data may have made it again on a client's first request,
    with its own default count: faust then refuses a changelog sized after the topics' spec, so
    the table follows the topic as it is (every consumer here reads any partitioning)."""
    security = kafka_python_security(settings)
    spec = next(spec for spec in TOPICS if spec.name == REPORTS)
    ensure_topics(settings.kafka_bootstrap_servers, (spec,), security=security)
    count = partition_count(settings.kafka_bootstrap_servers, REPORTS, security=security)
    if count is None:
        raise RuntimeError(f"{REPORTS} is missing on the broker just after it was made")
    if count != spec.partitions:
        log.warning("reports_partitions_differ", expected=spec.partitions, on_broker=count)
    return count


def drop_internal_topics(settings: TriggersSettings) -> None:
    """Started again for a broker's loss: whatever faust's own topics hold on the new broker was
    written after the loss by the worker that had not noticed yet (a state from before it, or
    a tick), and a topic that a write created on its own has the broker's default partition
    count, which faust refuses for a changelog. Drop them: the rebuild makes them afresh."""
    internal = {catch_up.changelog_topic(settings), ticks_topic(settings)}
    admin = KafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id="hs-triggers-rebuild",
        **kafka_python_security(settings),
    )
    try:
        present = sorted(internal & set(admin.list_topics()))
        if present:
            admin.delete_topics(present)
            log.warning("internal_topics_dropped", topics=present, why="written after the loss")
    finally:
        admin.close()


def ticks_topic(settings: TriggersSettings) -> str:
    return f"{settings.triggers_app_id}-ticks"


async def catch_up_showing_health(
    settings: TriggersSettings, policy: Policy, progress: catch_up.Progress
) -> None:
    """The bulk catch-up, with /healthz answering meanwhile (it can take minutes, and a
    liveness probe must not take that for a hung worker). A catch-up that fails leaves the
    rest to faust, from the offsets committed so far."""
    web = aiohttp.web.Application()

    async def healthz(_request: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.json_response(
            {
                "status": "catching_up",
                "service": "triggers",
                "policy": policy.policy_version,
                "applied": progress.applied,
                "assigned_partitions": 0,
                "caught_up_in_bulk": progress.as_json(),
            }
        )

    web.router.add_get("/healthz", healthz)
    runner = aiohttp.web.AppRunner(web)
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, settings.triggers_host, settings.triggers_port)
    await site.start()
    try:
        await catch_up.catch_up(settings, policy, progress)
    except Exception as error:
        log.warning(
            "catch_up_stopped", error=f"{type(error).__name__}: {error}", **progress.as_json()
        )
    finally:
        await runner.cleanup()
