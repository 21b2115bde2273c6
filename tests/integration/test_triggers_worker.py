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

from halsosupport import processes
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported, WellReported
from schemas.topics import DEADLETTER, REPORTS, TRIGGERS
from schemas.triggers import TriggerFired
from tests.support import events_on, eventually, publish, random_id, read_topic

SRC = Source(channel=Channel.NURSE, registered_by="n")


def start_worker(kafka_bootstrap: str, app_id: str, port: int, tmp_path) -> subprocess.Popen:
    env = {
        **os.environ,
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
        assert dead[0]["consumer_group"] == app_id
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
        assert len(events_on(kafka_bootstrap, TRIGGERS, employee)) == 1  # no second announcement
    finally:
        processes.stop(worker)
