"""The stats read model with the real broker and database: who is away today, per workplace,
sick and VAB apart, small cells withheld, redeliveries counted once."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from halsosupport.auth import Role, issue_token
from schemas.directory import DepartmentUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import (
    ReasonVisibility,
    SickReported,
    SpellCorrected,
    SpellRetracted,
    WellReported,
)
from services.stats.bootstrap import bootstrap
from services.stats.entrypoints.api import create_app
from services.stats.settings import StatsSettings
from tests.support import FixedClock, eventually, publish, random_id

TODAY = date(2026, 11, 23)
AT = datetime(2026, 11, 23, 7, tzinfo=UTC)
SRC = Source(channel=Channel.NURSE, registered_by="n")


def directory(department: str, workplace: str, people: list[str]) -> list:
    org = OrgRef(workplace_id=workplace, department_id=department)
    return [
        DepartmentUpserted(
            event_id=uuid.uuid4(), occurred_at=AT, source=SRC, department_id=department, name="D"
        ),
        WorkplaceUpserted(
            event_id=uuid.uuid4(),
            occurred_at=AT,
            source=SRC,
            workplace_id=workplace,
            name=f"Enhet {workplace}",
            department_id=department,
        ),
        *[
            EmployeeUpserted(
                event_id=uuid.uuid4(),
                occurred_at=AT,
                source=SRC,
                employee_id=p,
                org=org,
                name="x",
                gender="F",
                birth_year=1980,
            )
            for p in people
        ],
    ]


def sick(employee: str, department: str, workplace: str, kind="sick", days_ago=1) -> SickReported:
    return SickReported(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SRC,
        employee_id=employee,
        org=OrgRef(workplace_id=workplace, department_id=department),
        spell_id=random_id("s"),
        absence_type=kind,
        sick_from=TODAY - timedelta(days=days_ago),
        degree_percent=100,
        reason_visibility=ReasonVisibility.WITHHELD,
    )


@pytest.fixture
def stats(database, kafka_bootstrap):
    settings = StatsSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        stats_group_id=random_id("stats-test"),
    )
    runtime = bootstrap(settings, clock=FixedClock(AT))
    with TestClient(create_app(settings, runtime)) as client:
        eventually(lambda: client.get("/healthz").json()["consumer"]["assigned_partitions"])
        client.headers["Authorization"] = (
            f"Bearer {issue_token(settings, subject='c', role=Role.CRISIS)}"
        )
        yield client, settings


def test_today_counts_who_is_away_per_workplace_and_withholds_small_cells(stats, kafka_bootstrap):
    client, _ = stats
    dep, big, mid, small = random_id("d"), random_id("w"), random_id("w"), random_id("w")
    big_staff = [random_id("e") for _ in range(12)]
    mid_staff = [random_id("e") for _ in range(12)]
    small_staff = [random_id("e") for _ in range(4)]
    reports = [sick(e, dep, big) for e in big_staff[:7]]
    reports.append(sick(big_staff[7], dep, big, kind="vab"))
    reports += [sick(e, dep, mid) for e in mid_staff[:5]]
    reports.append(sick(small_staff[0], dep, small))
    back = WellReported(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SRC,
        employee_id=big_staff[0],
        org=reports[0].org,
        spell_id=reports[0].spell_id,
        well_from=TODAY,
    )
    not_yet = sick(big_staff[8], dep, big, days_ago=-1)  # starts tomorrow: not away today
    events = [
        *directory(dep, big, big_staff),
        *directory(dep, mid, mid_staff),
        *directory(dep, small, small_staff),
        *reports,
        back,
        not_yet,
    ]
    publish(kafka_bootstrap, *events)
    publish(kafka_bootstrap, *reports)  # redelivered: counted once

    def rows():
        body = client.get("/v1/stats/today").json()
        by_id = {w["workplace_id"]: w for w in body["workplaces"]}
        deps = {d["department_id"]: d for d in body["departments"]}
        # The directory and the reports are separate topics: wait until both are in.
        headcounts = {w: by_id[w]["headcount"] for w in (big, mid, small) if w in by_id}
        everyone_known = headcounts == {big: 12, mid: 12, small: 4}
        ready = everyone_known and dep in deps and deps[dep]["absent"] == 13
        return ready and (by_id, body)

    by_id, body = eventually(rows)
    assert body["date"] == "2026-11-23"
    # big: 7 sick less the one back today = 6; VAB 1 is below 5: withheld.
    assert (by_id[big]["headcount"], by_id[big]["absent_sick"], by_id[big]["absent_vab"]) == (
        12,
        6,
        None,
    )
    assert by_id[big]["absent"] == 7 and by_id[big]["absent_per_100"] == 58.3
    # small (4 people) is too small to describe; so that the department (13) minus the
    # workplaces shown cannot give its 1 away, the next smallest (mid, 5) is withheld too.
    assert by_id[small]["headcount"] == 4 and by_id[small]["absent"] is None
    assert by_id[mid]["absent"] is None
    (department,) = [d for d in body["departments"] if d["department_id"] == dep]
    assert department["absent"] == 13 and department["headcount"] == 28
    assert department["back"] is None  # 1 back today: below 5


def test_no_one_can_be_singled_out_by_subtracting_overlapping_figures(stats, kafka_bootstrap):
    """The classic differencing attack: a department's total minus its shown workplaces, or
    the municipality minus the shown departments, must never give a small count."""
    client, _ = stats
    dep_a, dep_b = random_id("d"), random_id("d")
    units = {dep_a: [random_id("w") for _ in range(3)], dep_b: [random_id("w")]}
    events, counts = [], {}
    for n, (dep, workplaces) in enumerate(units.items()):
        for m, workplace in enumerate(workplaces):
            staff = [random_id("e") for _ in range(12)]
            events += directory(dep, workplace, staff)
            away = [6, 2, 7][m] if n == 0 else 3  # the 2 and the 3 are the secrets
            counts[workplace] = away
            events += [sick(e, dep, workplace) for e in staff[:away]]
    publish(kafka_bootstrap, *events)
    ours = {w for ws in units.values() for w in ws}

    def applied() -> bool:  # the read model holds every spell and employee of this test
        with client.app.state.runtime.uow() as uow:
            spells = [x for x in uow.all_spells() if x.workplace_id in ours]
            staff = [e for e in uow.employees() if e.workplace_id in ours]
            return len(spells) == 18 and len(staff) == 48

    eventually(applied)
    body = client.get("/v1/stats/today").json()
    shown_deps = {d["department_id"]: d["absent"] for d in body["departments"]}
    shown_wps = {w["workplace_id"]: w["absent"] for w in body["workplaces"]}
    # Municipality minus the departments shown:
    hidden_deps = [d for d, v in shown_deps.items() if v is None]
    assert len(hidden_deps) != 1, "one hidden department is recoverable by subtraction"
    for dep, workplaces in units.items():
        if shown_deps[dep] is None:
            continue
        hidden = [w for w in workplaces if shown_wps[w] is None]
        recoverable = shown_deps[dep] - sum(shown_wps[w] for w in workplaces if w not in hidden)
        assert not hidden or len(hidden) > 1 and recoverable >= 5, (dep, hidden, recoverable)
    # Yesterday against today (a second, overlapping query) gives nothing away either:
    daily = client.get(
        "/v1/stats/daily", params={"from": "2026-11-21", "to": "2026-11-23", "department_id": dep_b}
    ).json()
    assert all(day["absent"] is None for day in daily["days"])


def test_only_aggregate_roles_read_statistics(stats):
    client, settings = stats
    nurse = issue_token(settings, subject="n", role=Role.NURSE)
    assert (
        client.get("/v1/stats/today", headers={"Authorization": f"Bearer {nurse}"}).status_code
        == 403
    )
    assert client.get("/v1/stats/today", headers={"Authorization": ""}).status_code == 401
    assert client.get("/v1/stats/today?date=2026-02-30").status_code == 422


def test_corrections_and_retractions_change_who_is_counted_as_away(stats, kafka_bootstrap):
    client, _ = stats
    dep, workplace = random_id("d"), random_id("w")
    staff = [random_id("e") for _ in range(12)]
    reports = [sick(e, dep, workplace) for e in staff[:7]]
    first, second = reports[0], reports[1]
    ended = SpellCorrected(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SRC,
        employee_id=first.employee_id,
        org=first.org,
        spell_id=first.spell_id,
        absence_type="sick",
        sick_from=first.sick_from,
        well_from=TODAY,
        degree_percent=100,
        reason_visibility=ReasonVisibility.WITHHELD,
        why="came back today",
    )
    mistake = SpellRetracted(
        event_id=uuid.uuid4(),
        occurred_at=AT,
        source=SRC,
        employee_id=second.employee_id,
        org=second.org,
        spell_id=second.spell_id,
        why="wrong person",
    )

    def absent_sick():
        rows = {w["workplace_id"]: w for w in client.get("/v1/stats/today").json()["workplaces"]}
        return rows.get(workplace, {}).get("absent_sick")

    publish(kafka_bootstrap, *directory(dep, workplace, staff), *reports)
    eventually(lambda: absent_sick() == 7)
    publish(kafka_bootstrap, ended, mistake)
    eventually(lambda: absent_sick() == 5)  # one came back today, one never happened


@pytest.mark.parametrize("figure", ["data-quality", "follow-up"])
def test_a_figure_read_before_the_organisation_is_cached_answers_at_once(stats, figure):
    """These figures read the organisation (cached once read) while reading their rows. Read
    inside the rows' transaction, on SQLite it waited for that very transaction: 503 after the
    30-second busy timeout, whenever the cache was empty (at start, after a directory change)."""
    client, _ = stats
    reply = client.get(f"/v1/stats/{figure}")
    assert reply.status_code == 200, reply.text  # was 503: "database unavailable"
