"""The counts per workplace and day kept up event by event against the real database: after
any mix of reports, well reports, corrections, retractions, moves between workplaces, a
workplace changing department and days passing, they are exactly what counting every spell
afresh gives, and each department's sums are its workplaces' sums."""

import random
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from fastapi.testclient import TestClient

from halsosupport.auth import Role, issue_token
from halsosupport.consumer import Consumed
from schemas.directory import DepartmentUpserted, EmployeeUpserted, Placement, WorkplaceUpserted
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import (
    ReasonVisibility,
    SickReported,
    SpellCorrected,
    SpellRetracted,
    WellReported,
)
from services.stats import handlers
from services.stats.adapters.tables import CauseDay, DepartmentDay, Workplace, WorkplaceDay
from services.stats.bootstrap import bootstrap
from services.stats.entrypoints.api import create_app
from services.stats.settings import StatsSettings

START = date(2028, 2, 20)  # across the leap day
AT = datetime(2028, 2, 20, 7, tzinfo=UTC)
SRC = Source(channel=Channel.NURSE, registered_by="n")
WORKPLACES = {"w1": "d1", "w2": "d1", "w3": "d2"}


def envelope() -> dict:
    return {"event_id": uuid.uuid4(), "occurred_at": AT, "source": SRC}


def org(workplace: str) -> OrgRef:
    return OrgRef(workplace_id=workplace, department_id=WORKPLACES[workplace])


def stored(engine) -> dict[str, Counter]:
    """Each table's non-zero cells."""
    found: dict[str, Counter] = {}
    with engine.connect() as connection:
        for table, key in ((WorkplaceDay, "workplace_id"), (DepartmentDay, "department_id")):
            t = table.__table__
            cells: Counter = Counter()
            for row in connection.execute(sa.select(t)):
                for m in ("new_sick", "new_vab", "back", "absent_sick", "absent_vab"):
                    cells[(row._mapping[key], row.day, m)] += row._mapping[m]
            found[table.__tablename__] = +cells
        causes: Counter = Counter()
        for row in connection.execute(sa.select(CauseDay.__table__)):
            causes[(row.day, row.reason_category)] += row.absent_sick
        found["cause_day"] = +causes
    return found


def department_sums(engine) -> Counter:
    """WorkplaceDay summed by each workplace's department now."""
    with engine.connect() as connection:
        query = sa.select(Workplace.__table__.c.workplace_id, Workplace.__table__.c.department_id)
        department_of = {row[0]: row[1] for row in connection.execute(query)}
    sums: Counter = Counter()
    for (workplace, day, measure), n in stored(engine)["workplace_day"].items():
        if workplace in department_of:
            sums[(department_of[workplace], day, measure)] += n
    return +sums


def script(rng: random.Random) -> list[tuple[date, list]]:
    """Batches of events, each applied on its day."""
    directory = [DepartmentUpserted(**envelope(), department_id=d, name=d) for d in ("d1", "d2")]
    directory += [
        WorkplaceUpserted(**envelope(), workplace_id=w, name=w, department_id=d)
        for w, d in WORKPLACES.items()
        if w != "w3"  # w3's reports arrive before the directory knows it
    ]
    people = [f"e{n}" for n in range(8)]
    directory += [
        EmployeeUpserted(**envelope(), employee_id=e, org=org(rng.choice(["w1", "w2"])), name="x")
        for e in people
    ]
    batches: list[tuple[date, list]] = [(START, directory)]
    spells: dict[str, SickReported] = {}
    for offset in range(20):
        today = START + timedelta(days=offset)
        events: list = []
        for _ in range(rng.randrange(4)):
            person, workplace = rng.choice(people), rng.choice(list(WORKPLACES))
            kind = rng.choice(["sick", "sick", "vab"])
            first = today - timedelta(days=rng.randrange(3))
            report = SickReported(
                **envelope(), employee_id=person, org=org(workplace), spell_id=f"s{len(spells)}",
                absence_type=kind, sick_from=first, degree_percent=100,
                reason_visibility=ReasonVisibility.SHARED if kind == "sick" else
                ReasonVisibility.WITHHELD,
                reason_category=rng.choice(["respiratory", "stomach"]) if kind == "sick" else None,
            )  # fmt: skip
            spells[report.spell_id] = report
            events.append(report)
        for spell in rng.sample(list(spells.values()), min(2, len(spells))):
            well = spell.sick_from + timedelta(days=rng.randrange(1, 6))
            choice = rng.random()
            common = {
                "employee_id": spell.employee_id,
                "org": spell.org,
                "spell_id": spell.spell_id,
            }
            if choice < 0.5:
                events.append(WellReported(**envelope(), **common, well_from=well))
            elif choice < 0.75:
                events.append(
                    SpellCorrected(
                        **envelope(), **common, absence_type=spell.absence_type,
                        sick_from=spell.sick_from - timedelta(days=1),
                        well_from=rng.choice([None, well]), degree_percent=50,
                        reason_visibility=ReasonVisibility.WITHHELD, why="fel datum",
                    )
                )  # fmt: skip
            elif choice < 0.85:
                events.append(SpellRetracted(**envelope(), **common, why="fel person"))
        if offset == 5:  # someone moves from w1 to w2 on the 23rd, registered late
            events.append(
                EmployeeUpserted(
                    **envelope(), employee_id="e0", org=org("w2"), name="x",
                    placements=[
                        Placement(workplace_id="w1", valid_from=date(2027, 1, 1),
                                  valid_to=date(2028, 2, 23)),
                        Placement(workplace_id="w2", valid_from=date(2028, 2, 23)),
                    ],
                )
            )  # fmt: skip
        if offset == 8:
            events.append(WorkplaceUpserted(**envelope(), workplace_id="w3", name="w3",
                                            department_id="d2"))  # fmt: skip
        if offset == 12:  # a reorganisation: w2 now belongs to d2
            events.append(WorkplaceUpserted(**envelope(), workplace_id="w2", name="w2",
                                            department_id="d2"))  # fmt: skip
        rng.shuffle(events)
        batches.append((today, events))
    return batches


def settings_on(database) -> StatsSettings:
    """The stats service on the test's database, with no broker (events are applied directly)."""
    return StatsSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers="127.0.0.1:1",
    )


def test_counts_kept_event_by_event_equal_counting_afresh(database):
    runtime = bootstrap(settings_on(database))
    offset = 0
    for seed in range(3):
        for today, events in script(random.Random(seed)):
            for start in range(0, len(events), 3):  # small batches, as the consumer sees them
                batch = [
                    Consumed(topic=e.topic, partition=0, offset=(offset := offset + 1), event=e)
                    for e in events[start : start + 3]
                ]
                with runtime.uow() as uow:
                    handlers.apply_batch(uow=uow, batch=batch, today=today)
            if not events:
                with runtime.uow() as uow:
                    handlers.bring_counts_to(uow, today)
                    uow.commit()
        kept = stored(runtime.engine)
        assert kept["workplace_day"], "the script reported nobody away"
        assert kept["department_day"] == department_sums(runtime.engine)
        last_day = today
        with runtime.uow() as uow:
            handlers.rebuild_counts(uow, last_day)
            uow.commit()
        assert stored(runtime.engine) == kept, f"seed {seed}"
    runtime.engine.dispose()


def test_a_backlog_applied_without_counting_is_counted_once_when_caught_up(database):
    """A replay applies full batches with the counts dropped (`counting=False`); the first
    batch that is not full counts every spell afresh. The result equals counting as we go."""
    runtime = bootstrap(settings_on(database))
    rng, offset, last_day = random.Random(11), 0, START
    for seed in range(2):
        for today, events in script(random.Random(seed)):
            last_day = today
            for start in range(0, len(events), 3):
                batch = [
                    Consumed(topic=e.topic, partition=0, offset=(offset := offset + 1), event=e)
                    for e in events[start : start + 3]
                ]
                with runtime.uow() as uow:
                    handlers.apply_batch(
                        uow=uow, batch=batch, today=today, counting=rng.random() < 0.3
                    )
    with runtime.uow() as uow:
        handlers.apply_batch(uow=uow, batch=[], today=last_day)  # caught up: counted now
    caught_up = stored(runtime.engine)
    assert caught_up["workplace_day"], "the script reported nobody away"
    assert caught_up["department_day"] == department_sums(runtime.engine)
    with runtime.uow() as uow:
        handlers.rebuild_counts(uow, last_day)
        uow.commit()
    assert stored(runtime.engine) == caught_up
    runtime.engine.dispose()


def test_figures_are_refused_with_retry_advice_while_a_backlog_is_applied(database):
    runtime = bootstrap(settings_on(database))
    token = issue_token(runtime.settings, subject="c", role=Role.CRISIS)
    crisis = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(runtime.settings, runtime)) as client:
        assert client.get("/v1/stats/today", headers=crisis).status_code == 200
        runtime.catching_up = True
        refused = client.get("/v1/stats/today", headers=crisis)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "30"
        assert "backlog" in refused.json()["detail"]
        runtime.catching_up = False
        assert client.get("/v1/stats/today", headers=crisis).status_code == 200
    runtime.engine.dispose()
