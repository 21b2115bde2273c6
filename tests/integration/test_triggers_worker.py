"""The faust worker as a real process against the real broker: the 4th occasion fires once, a
poison message is dead-lettered, and a restarted worker remembers what it announced."""

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from halsosupport import processes
from halsosupport.kafka import ensure_topics, read_all
from schemas.directory import EmployeeErased
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported, SpellRetracted, WellReported
from schemas.topics import DEADLETTER, REPORTS, TRIGGERS
from schemas.triggers import TriggerFired
from services.triggers.entrypoints.worker import AGENT_CRASHED
from services.triggers.handlers import EmployeeState, apply_report
from services.triggers.policy import DEFAULT_POLICY, load_policy
from tests.integration.conftest import restart_empty
from tests.support import events_on, eventually, publish, random_id, read_topic

SRC = Source(channel=Channel.NURSE, registered_by="n")


def start_worker(
    kafka_bootstrap: str, app_id: str, port: int, tmp_path, **extra_env: str
) -> subprocess.Popen:
    env = {
        **os.environ,
        **extra_env,
        "HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "HALSOSUPPORT_TRIGGERS_APP_ID": app_id,
        "HALSOSUPPORT_TRIGGERS_PORT": str(port),
        "HALSOSUPPORT_TRIGGERS_DATA_DIR": str(tmp_path / "triggers"),
        "HALSOSUPPORT_KAFKA_REBALANCE_TIMEOUT_S": "1",
        "HALSOSUPPORT_LOG_FORMAT": "json",
    }
    worker = processes.spawn(
        [sys.executable, "-m", "halsosupport.cli", "triggers"],
        env=env,
        log_path=tmp_path / f"{app_id}.log",
    )

    def ready():
        assert worker.poll() is None, (tmp_path / f"{app_id}.log").read_text()[-3000:]
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).json()[
                "assigned_partitions"
            ]
        except httpx.HTTPError:
            return None

    eventually(ready, timeout_s=60)
    return worker


def reports(employee: str, days: list[date]) -> list:
    org = OrgRef(workplace_id="w", department_id="d", manager_id="m")
    events = []
    for day in days:
        spell = random_id("s")
        at = datetime(day.year, day.month, day.day, 7, tzinfo=UTC)
        events.append(
            SickReported(
                event_id=uuid.uuid4(),
                occurred_at=at,
                source=SRC,
                employee_id=employee,
                org=org,
                spell_id=spell,
                absence_type="sick",
                sick_from=day,
                degree_percent=100,
                reason_visibility=ReasonVisibility.WITHHELD,
            )
        )
        events.append(
            WellReported(
                event_id=uuid.uuid4(),
                occurred_at=at + timedelta(days=2),
                source=SRC,
                employee_id=employee,
                org=org,
                spell_id=spell,
                well_from=day + timedelta(days=2),
            )
        )
    return events


@pytest.mark.timeout(240)
def test_the_worker_fires_once_dead_letters_poison_and_remembers_across_a_restart(
    kafka_bootstrap, tmp_path
):
    app_id, port = random_id("triggers-test"), processes.free_port()
    employee, marker = random_id("e"), random_id("poison")
    days = [date(2026, 1, 10), date(2026, 3, 2), date(2026, 6, 15), date(2026, 9, 1)]
    worker = start_worker(kafka_bootstrap, app_id, port, tmp_path)
    try:
        publish(kafka_bootstrap, *reports(employee, days[:2]), raw=[(REPORTS, marker.encode())])
        publish(kafka_bootstrap, *reports(employee, days[2:]))
        (fired,) = eventually(lambda: events_on(kafka_bootstrap, TRIGGERS, employee), timeout_s=30)
        assert isinstance(fired, TriggerFired) and fired.rule_id == "omtankesamtal"
        assert [o.sick_from for o in fired.occasions] == days
        dead = eventually(
            lambda: [
                json.loads(v)
                for _, v in read_topic(kafka_bootstrap, DEADLETTER)
                if marker in (json.loads(v)["value"] or "")
            ]
        )
        # (a consumer another test left running on the shared broker may dead-letter it too)
        assert [d["consumer_group"] for d in dead].count(app_id) == 1
    finally:
        processes.stop(worker)

    worker = start_worker(kafka_bootstrap, app_id, port, tmp_path)  # state from the changelog
    try:
        fifth = reports(employee, [date(2026, 10, 5)])
        publish(kafka_bootstrap, *fifth)
        eventually(
            lambda: httpx.get(f"http://127.0.0.1:{port}/healthz").json()["applied"] >= 2,
            timeout_s=30,
        )
        announced = eventually(
            lambda: (e := events_on(kafka_bootstrap, TRIGGERS, employee))[1:] and e
        )
        # The 5th occasion calls HR; the omtankesamtal is not announced a second time.
        assert [e.rule_id for e in announced] == ["omtankesamtal", "hr_contact"]
    finally:
        processes.stop(worker)


def retraction(employee: str, spell_id: str, at: datetime) -> SpellRetracted:
    return SpellRetracted(
        event_id=uuid.uuid4(),
        occurred_at=at,
        source=SRC,
        employee_id=employee,
        org=OrgRef(workplace_id="w", department_id="d", manager_id="m"),
        spell_id=spell_id,
        why="registrerad på fel person",
    )


def signature(events) -> list[tuple[str, str, str]]:
    return [(e.event_type, e.trigger_id, str(e.event_id)) for e in events]


@pytest.mark.timeout(240)
def test_replaying_the_reports_topic_into_empty_state_announces_exactly_the_same(
    kafka_bootstrap, tmp_path
):
    employee = random_id("e")
    days = [date(2026, 1, 10), date(2026, 3, 2), date(2026, 6, 15), date(2026, 9, 1)]
    history = reports(employee, days)
    history.append(retraction(employee, history[0].spell_id, datetime(2026, 9, 5, 9, tzinfo=UTC)))
    first_port, second_port = processes.free_port(), processes.free_port()
    worker = start_worker(kafka_bootstrap, random_id("triggers-live"), first_port, tmp_path)
    try:
        publish(kafka_bootstrap, *history)
        live = eventually(lambda: (e := events_on(kafka_bootstrap, TRIGGERS, employee))[1:] and e)
        assert [e.event_type for e in live] == ["TriggerFired", "TriggerWithdrawn"]
    finally:
        processes.stop(worker)
    # A new application id: empty state, the whole reports topic from offset 0.
    worker = start_worker(kafka_bootstrap, random_id("triggers-replay"), second_port, tmp_path)
    try:
        both = eventually(lambda: (e := events_on(kafka_bootstrap, TRIGGERS, employee))[3:] and e)
        assert signature(both[2:]) == signature(both[:2])
    finally:
        processes.stop(worker)


@pytest.mark.timeout(240)
def test_rules_that_fell_due_while_the_worker_was_down_fire_when_it_starts(
    kafka_bootstrap, tmp_path
):
    employee = random_id("e")
    now = datetime.now(UTC)
    (sick,) = [e for e in reports(employee, [now.date()]) if isinstance(e, SickReported)]
    publish(kafka_bootstrap, sick.model_copy(update={"occurred_at": now}))
    # The worker comes back a week later (its clock moved on by 7 days).
    worker = start_worker(
        kafka_bootstrap,
        random_id("triggers-catch-up"),
        processes.free_port(),
        tmp_path,
        HALSOSUPPORT_TRIGGERS_CLOCK_OFFSET_DAYS="7",
        HALSOSUPPORT_TRIGGERS_TICK_INTERVAL_S="1",
    )
    try:
        caught_up = eventually(
            lambda: (e := events_on(kafka_bootstrap, TRIGGERS, employee))[1:] and e, timeout_s=60
        )
        assert [(e.rule_id, e.day_number) for e in caught_up] == [
            ("nurse_followup", 3),
            ("certificate_reminder", 6),
        ]
        assert caught_up[1].window_end == sick.sick_from + timedelta(days=5)
    finally:
        processes.stop(worker)


@pytest.mark.timeout(240)
def test_an_erased_employee_starts_again_from_nothing(kafka_bootstrap, tmp_path):
    """Erasure drops the employee's state: four new occasions fire the first rule again,
    where the kept state would have made the fifth call HR."""
    app_id, port = random_id("triggers-erase"), processes.free_port()
    employee = random_id("e")
    worker = start_worker(kafka_bootstrap, app_id, port, tmp_path)
    try:
        days = [date(2026, 1, 10), date(2026, 3, 2), date(2026, 6, 15), date(2026, 9, 1)]
        publish(kafka_bootstrap, *reports(employee, days))
        eventually(lambda: events_on(kafka_bootstrap, TRIGGERS, employee), timeout_s=30)
        erased = EmployeeErased(
            event_id=uuid.uuid4(),
            occurred_at=datetime(2026, 9, 20, tzinfo=UTC),
            source=SRC,
            employee_id=employee,
        )
        publish(kafka_bootstrap, erased)
        # Dropped: the table's changelog holds a tombstone for this employee. (The health
        # page's counter is no proof: a new worker also replays other tests' erasures.)
        changelog = f"{app_id}-employee-state-changelog"
        eventually(
            lambda: any(
                value is None and key is not None and employee.encode() in key
                for key, value in read_all(kafka_bootstrap, changelog, idle_timeout_s=1)
            ),
            timeout_s=30,
        )
        later = [date(2026, 10, 1), date(2026, 10, 8), date(2026, 10, 15), date(2026, 10, 22)]
        publish(kafka_bootstrap, *reports(employee, later))
        announced = eventually(
            lambda: (e := events_on(kafka_bootstrap, TRIGGERS, employee))[1:] and e, timeout_s=30
        )
        assert [e.rule_id for e in announced] == ["omtankesamtal", "omtankesamtal"]
        assert [o.sick_from for o in announced[1].occasions] == later
    finally:
        processes.stop(worker)


@pytest.mark.timeout(240)
def test_a_worker_far_behind_catches_up_in_bulk_as_the_stream_would_and_goes_on_from_there(
    kafka_bootstrap, tmp_path
):
    """Everything on the reports topic is behind a new group: with the bulk threshold at one
    report it is all caught up outside faust, and faust then goes on from the offsets and the
    table state the catch-up left."""
    first, second, marker = random_id("e"), random_id("e"), random_id("poison")
    days = [date(2026, 1, 10), date(2026, 3, 2), date(2026, 6, 15), date(2026, 9, 1)]
    history = reports(first, days)
    history.append(retraction(first, history[0].spell_id, datetime(2026, 9, 5, 9, tzinfo=UTC)))
    publish(kafka_bootstrap, *history, *reports(second, days[:3]), raw=[(REPORTS, marker.encode())])
    expected, state = [], EmployeeState()
    for event in history:
        state, out = apply_report(state, event, load_policy(DEFAULT_POLICY))
        expected.extend(out)
    app_id, port = random_id("triggers-bulk"), processes.free_port()
    worker = start_worker(
        kafka_bootstrap, app_id, port, tmp_path, HALSOSUPPORT_TRIGGERS_CATCH_UP_FROM="1"
    )
    try:
        health = httpx.get(f"http://127.0.0.1:{port}/healthz").json()
        assert health["caught_up_in_bulk"]["behind_at_start"] >= len(history) + 7
        assert health["applied"] == health["caught_up_in_bulk"]["applied"] > 0
        announced = events_on(kafka_bootstrap, TRIGGERS, first)
        assert [e.event_type for e in announced] == ["TriggerFired", "TriggerWithdrawn"]
        assert signature(announced) == signature(expected)
        dead = [json.loads(v) for _, v in read_topic(kafka_bootstrap, DEADLETTER)]
        groups = [d["consumer_group"] for d in dead if marker in (d["value"] or "")]
        assert groups.count(app_id) == 1  # others' leftover consumers may dead-letter it too
        # The fourth occasion of the second employee, live: the three caught up in bulk are
        # in the state faust restored, and nothing of the first employee is announced again.
        publish(kafka_bootstrap, *reports(second, days[3:]))
        (fired,) = eventually(lambda: events_on(kafka_bootstrap, TRIGGERS, second), timeout_s=30)
        assert fired.rule_id == "omtankesamtal" and [o.sick_from for o in fired.occasions] == days
        assert signature(events_on(kafka_bootstrap, TRIGGERS, first)) == signature(expected)
    finally:
        processes.stop(worker)


@pytest.mark.timeout(180)
def test_a_reports_topic_made_with_other_partitions_than_planned_still_fires(broker, tmp_path):
    """A broker that lost its data makes the reports topic again on a client's first request,
    with its own default partition count. The worker's table follows the topic as it is: faust
    would otherwise stop its agent on every report (changelog and source partitions differ)."""
    restart_empty(broker, create_topics=False)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        admin.create_topics([NewTopic(REPORTS, 4, 1)])
    finally:
        admin.close()
    ensure_topics(broker.bootstrap_servers)  # the others as planned; reports stays at 4
    app_id, port = random_id("triggers-test"), processes.free_port()
    employee = random_id("e")
    days = [date(2026, 1, 10), date(2026, 3, 2), date(2026, 6, 15), date(2026, 9, 1)]
    worker = start_worker(broker.bootstrap_servers, app_id, port, tmp_path)
    try:
        publish(broker.bootstrap_servers, *reports(employee, days))
        (fired,) = eventually(
            lambda: events_on(broker.bootstrap_servers, TRIGGERS, employee), timeout_s=45
        )
        assert isinstance(fired, TriggerFired) and fired.rule_id == "omtankesamtal"
    finally:
        processes.stop(worker)


@pytest.mark.timeout(180)
def test_a_worker_whose_agent_fails_exits_rather_than_going_on_without_it(broker, tmp_path):
    """A changelog sized for other partitions than the reports topic (its partitions raised by
    hand, say) fails every report in faust: the worker exits with 70, for its supervisor to see,
    instead of answering /healthz with ok while it skips reports."""
    restart_empty(broker, create_topics=False)
    app_id, port = random_id("triggers-test"), processes.free_port()
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        admin.create_topics(
            [NewTopic(REPORTS, 4, 1), NewTopic(f"{app_id}-employee-state-changelog", 6, 1)]
        )
    finally:
        admin.close()
    ensure_topics(broker.bootstrap_servers)
    worker = start_worker(broker.bootstrap_servers, app_id, port, tmp_path)
    try:
        publish(broker.bootstrap_servers, *reports(random_id("e"), [date(2026, 1, 10)]))
        assert worker.wait(timeout=60) == AGENT_CRASHED
        assert "agent_crashed" in (tmp_path / f"{app_id}.log").read_text()
    finally:
        processes.stop(worker)
