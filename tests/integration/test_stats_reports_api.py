"""The figure endpoints (repeated absence, length, net days, key figures, cost) over HTTP with
the real broker and database. Most tests load the read model's tables straight through the
runtime's engine, with figures worked out by hand in the comments; one feeds it through the
topics, so the directory's placements reach the figures the way they do in production.

Calendar facts: 2026-11-02, 2027-01-04, 2027-03-01, 2027-12-13, 2028-01-03, 2028-02-28,
2028-03-06 and 2028-06-12 are Mondays; 2027 has 261 working days (2,088 hours full time);
2028 is a leap year.
"""

import csv
import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from halsosupport.auth import Role, issue_token
from schemas.directory import (
    DepartmentUpserted,
    EmployeeUpserted,
    Placement,
    WorkplaceUpserted,
)
from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported, SpellCorrected, WellReported
from services.stats.adapters.tables import Department, Employee, Spell, Workplace
from services.stats.bootstrap import StatsRuntime, bootstrap
from services.stats.entrypoints.api import create_app
from services.stats.settings import StatsSettings
from tests.support import FixedClock, eventually, publish, random_id

D = date
NOW = datetime(2028, 6, 15, 8, tzinfo=UTC)  # Thursday 15 June 2028 in Sweden
AT = datetime(2026, 11, 23, 8, tzinfo=UTC)  # Monday 23 November 2026
ENDPOINTS = ("repeated-absence", "length", "net-days", "key-figures", "cost")


@dataclass
class Reports:
    client: TestClient
    settings: StatsSettings
    runtime: StatsRuntime

    def load(self, *, org=(), employees=(), spells=()) -> None:
        """Rows straight into the read model, as the consumer would have written them."""
        departments = [
            {"department_id": d, "name": f"Förvaltning {d}"} for d in {d for _, d in org}
        ]
        workplaces = [{"workplace_id": w, "name": w, "department_id": d} for w, d in org]
        with self.runtime.engine.begin() as connection:
            for table, rows in (
                (Department, departments), (Workplace, workplaces),
                (Employee, list(employees)), (Spell, list(spells)),
            ):  # fmt: skip
                if rows:
                    connection.execute(table.__table__.insert(), rows)
        self.runtime.directory_changed()

    def get(self, endpoint: str, **params) -> dict:
        response = self.client.get(f"/v1/stats/{endpoint}", params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def csv(self, endpoint: str, **params) -> list[dict[str, str]]:
        response = self.client.get(f"/v1/stats/{endpoint}", params={**params, "format": "csv"})
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.text)))


@contextmanager
def running(database, kafka_bootstrap, now: datetime, **overrides) -> Iterator[Reports]:
    settings = StatsSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        stats_group_id=random_id("stats-test"),
        **overrides,
    )
    runtime = bootstrap(settings, clock=FixedClock(now))
    app = create_app(settings, runtime)
    with TestClient(app) as client:
        token = issue_token(settings, subject="c", role=Role.CRISIS)
        client.headers["Authorization"] = f"Bearer {token}"
        yield Reports(client, settings, runtime)


@pytest.fixture
def every_cell(database, kafka_bootstrap) -> Iterator[Reports]:
    """No group too small and no count too low: the arithmetic shows in every cell."""
    with running(database, kafka_bootstrap, NOW, min_group_size=1, min_cell_count=0) as r:
        yield r


@pytest.fixture
def protected(database, kafka_bootstrap) -> Iterator[Reports]:
    """The default privacy rule: groups of 10 employees, counts of 5."""
    with running(database, kafka_bootstrap, AT) as r:
        yield r


def employee(employee_id, workplace, degree=100, gender=None, birth_year=None, placements=()):
    return {
        "employee_id": employee_id, "workplace_id": workplace,
        "employment_degree_percent": degree, "gender": gender, "birth_year": birth_year,
        "name": "x", "employed_from": None, "employed_to": None, "placements": list(placements),
    }  # fmt: skip


def spell(spell_id, employee_id, first, well=None, kind="sick", degree=100):
    return {
        "spell_id": spell_id, "employee_id": employee_id, "workplace_id": "?",
        "department_id": "?", "absence_type": kind, "sick_from": first, "well_from": well,
        "degree_percent": degree, "reason_category": None, "expected_return": None,
        "reported_on": first, "corrected": False,
    }  # fmt: skip


# --- the arithmetic ------------------------------------------------------------------------


def test_net_days_per_month_across_a_leap_day_part_time_and_vab_apart(every_cell):
    placed_since_2020 = [{"workplace_id": "w1", "valid_from": "2020-01-01", "valid_to": None}]
    every_cell.load(
        org=[("w1", "d1")],
        employees=[employee("a", "w1"), employee("b", "w1", 50, placements=placed_since_2020)],
        spells=[
            # Mon 28 Feb .. Wed 1 Mar (back Thu 2 Mar): 28 and 29 Feb, then 1 Mar.
            spell("s1", "a", D(2028, 2, 28), D(2028, 3, 2)),
            # 50 % of b's half post, Mon 6 .. Fri 10 Mar: 5 × 8 h × 0.5 × 0.5 = 10 h = 1.25 days.
            spell("s2", "b", D(2028, 3, 6), D(2028, 3, 13), degree=50),
            # VAB Thu 2, Fri 3 Mar: its own column, never sick days.
            spell("v1", "a", D(2028, 3, 2), D(2028, 3, 6), kind="vab"),
            # Mon 3 .. Sat 22 Apr (back Sun 23): days 1-14 are 3..16 Apr = 10 working days,
            # days 15-20 are 17..21 Apr = 5 more.
            spell("s3", "a", D(2028, 4, 3), D(2028, 4, 23)),
            # Open since Mon 12 Jun: to today, Thu 15 Jun, 4 days, not to the month's end.
            spell("s4", "b", D(2028, 6, 12)),
        ],
    )
    body = every_cell.get("net-days", **{"from": "2028-02", "to": "2028-06"})
    assert (body["unit"], body["level"], body["as_of"]) == (
        "municipality",
        "municipality",
        "2028-06-15",
    )
    months = {m["month"]: m for m in body["months"]}
    assert list(months) == ["2028-02", "2028-03", "2028-04", "2028-05", "2028-06"]
    assert months["2028-02"]["employees"] == 2
    assert months["2028-02"]["sick"] == {
        "net_days": 2.0, "short_term_net_days": 2.0,
        "net_days_per_employee": 1.0, "short_term_net_days_per_employee": 1.0,
    }  # fmt: skip
    assert months["2028-03"]["sick"]["net_days"] == 2.25  # 1 + 1.25
    assert months["2028-03"]["sick"]["net_days_per_employee"] == 1.125
    assert months["2028-03"]["vab"]["net_days"] == 2.0
    assert months["2028-02"]["vab"]["net_days"] == 0.0
    assert (
        months["2028-04"]["sick"]["net_days"],
        months["2028-04"]["sick"]["short_term_net_days"],
    ) == (15.0, 10.0)
    assert months["2028-06"]["sick"]["net_days"] == 2.0  # 4 days of b's half post
    # The workplace holds everyone, so its figures are the municipality's.
    assert (
        every_cell.get("net-days", **{"from": "2028-02", "to": "2028-06"}, workplace_id="w1")[
            "months"
        ]
        == body["months"]
    )
    rows = every_cell.csv("net-days", **{"from": "2028-03", "to": "2028-03"})
    assert rows == [
        {
            "month": "2028-03", "employees": "2",
            "sick_net_days": "2.25", "sick_short_term_net_days": "2.25",
            "sick_net_days_per_employee": "1.125",
            "sick_short_term_net_days_per_employee": "1.125",
            "vab_net_days": "2.0", "vab_short_term_net_days": "2.0",
            "vab_net_days_per_employee": "1.0", "vab_short_term_net_days_per_employee": "1.0",
        }
    ]  # fmt: skip


def test_key_figures_count_a_spell_across_the_new_year_in_both_years(every_cell):
    every_cell.load(
        org=[("w1", "d1")],
        employees=[
            employee("a", "w1", gender="F", birth_year=1990),  # 37 in 2027
            employee("b", "w1", gender="M", birth_year=1970),  # 57
        ],
        spells=[
            spell("a1", "a", D(2027, 3, 1), D(2027, 3, 8)),  # Mon-Fri: 40 h
            # Mon 13 Dec 2027 .. Sun 13 Feb 2028: 19 + 31 + 13 = 63 days, long. In 2027: 13..31
            # Dec, 15 working days = 120 h. In 2028: January 21 days + 1..11 Feb 9 = 240 h.
            spell("b1", "b", D(2027, 12, 13), D(2028, 2, 14)),
        ],
    )
    body = every_cell.get("key-figures", year=2027)
    assert (body["year"], body["through"]) == (2027, "2027-12-31")
    # 160 h of 2 × 2,088 = 4,176 h.
    assert body["overall"] == {
        "employees": 2, "ordinary_hours": 4176.0, "sick_hours": 160.0, "percent": 3.83,
    }  # fmt: skip
    assert (body["women"]["percent"], body["men"]["percent"]) == (1.92, 5.75)  # 40, 120 of 2,088
    assert (body["age_30_to_49"]["percent"], body["age_50_and_over"]["percent"]) == (1.92, 5.75)
    assert body["age_up_to_29"] == {
        "employees": 0, "ordinary_hours": 0.0, "sick_hours": None, "percent": None,
    }  # fmt: skip
    assert body["long_term"] == {
        "long_term_sick_hours": 120.0,
        "sick_hours": 160.0,
        "percent": 75.0,
    }
    # This year so far (to Thu 15 Jun 2028): Jan 21 + Feb 21 (29 Feb too) + Mar 23 + Apr 20 +
    # May 23 + 1..15 Jun 11 = 119 working days, 952 h each; b's 240 h are all long-term.
    so_far = every_cell.get("key-figures")
    assert (so_far["year"], so_far["through"]) == (2028, "2028-06-15")
    assert so_far["overall"]["ordinary_hours"] == 1904.0
    assert (so_far["overall"]["sick_hours"], so_far["overall"]["percent"]) == (240.0, 12.61)
    assert so_far["long_term"]["percent"] == 100.0
    rows = every_cell.csv("key-figures", year=2027)
    assert [r["figure"] for r in rows][-1] == "long_term_share"
    assert rows[0] == {
        "figure": "overall", "employees": "2", "hours": "160.0", "of_hours": "4176.0",
        "percent": "3.83",
    }  # fmt: skip


def test_spells_by_length_measured_to_their_end_or_to_the_period_end(every_cell):
    every_cell.load(
        org=[("w1", "d1")],
        employees=[employee(e, "w1") for e in "abc"],
        spells=[
            spell("a1", "a", D(2027, 3, 1), D(2027, 3, 8)),  # 7 days: 1-14
            spell("b1", "b", D(2027, 12, 13), D(2028, 2, 14)),  # 63 days, to its end in 2028
            spell("c1", "c", D(2027, 10, 1)),  # open: to 31 Dec, 31 + 30 + 31 = 92 days: 91+
            spell("c0", "c", D(2026, 12, 20), D(2027, 1, 10)),  # began before: left out
            spell("v", "a", D(2027, 5, 3), D(2027, 5, 5), kind="vab"),  # VAB: left out
        ],
    )
    body = every_cell.get("length", **{"from": "2027-01-01", "to": "2027-12-31"})
    assert body["employees"] == 3
    assert body["total"] == {"band": "all", "spells": 3, "sick_days": 7 + 63 + 92}
    assert body["bands"] == [
        {"band": "1-14", "spells": 1, "sick_days": 7},
        {"band": "15-90", "spells": 1, "sick_days": 63},
        {"band": "91+", "spells": 1, "sick_days": 92},
    ]


def test_the_cost_of_a_month_against_the_same_month_a_year_before(every_cell):
    every_cell.load(
        org=[("w1", "d1")],
        employees=[employee("a", "w1"), employee("b", "w1")],
        spells=[
            spell("r", "a", D(2027, 1, 4), D(2027, 1, 9)),  # 5 days, 2 heads: 2.5 a head
            spell("p", "a", D(2028, 1, 3), D(2028, 1, 6)),  # 3 days: 1.5 a head
        ],
    )
    body = every_cell.get("cost", **{"from": "2028-01", "to": "2028-01"})
    # The default reference is the 12 months before; (2.5 − 1.5) × 2 heads = 2 days, 3,530 kr.
    assert (body["reference_from"], body["reference_to"]) == ("2027-01", "2027-12")
    assert (body["price_per_day"], body["short_term_only"], body["trend"]) == (1765, True, None)
    (january,) = body["months"]
    assert (january["reference_month"], january["reference_per_employee"]) == ("2027-01", 2.5)
    assert (january["per_employee"], january["saved_days"], january["value"]) == (1.5, 2.0, 3530.0)
    assert (body["saved_days"], body["value"]) == (2.0, 3530.0)
    # Trend-adjusted to half, at 1,000 kr: (2.5 − 0.75) × 2 = 3.5 days, 3,500 kr.
    adjusted = every_cell.get(
        "cost", **{"from": "2028-01", "to": "2028-02"}, reference_from="2027-01",
        reference_to="2027-02", price_per_day=1000, trend="01=0.5,2028-02=1",
    )  # fmt: skip
    assert [m["adjusted_per_employee"] for m in adjusted["months"]] == [0.75, 0.0]
    assert (adjusted["saved_days"], adjusted["value"]) == (3.5, 3500.0)
    rows = every_cell.csv(
        "cost", **{"from": "2028-01", "to": "2028-02"}, reference_from="2027-01",
        reference_to="2027-02",
    )  # fmt: skip
    assert [(r["month"], r["reference_month"], r["saved_days"], r["value"]) for r in rows] == [
        ("2028-01", "2027-01", "2.0", "3530.0"),
        ("2028-02", "2027-02", "0.0", "0.0"),
        ("total", "", "2.0", "3530.0"),
    ]


def test_a_move_published_on_the_directory_splits_a_spell_between_workplaces(
    every_cell, kafka_bootstrap
):
    client = every_cell.client
    eventually(lambda: client.get("/healthz").json()["consumer"]["assigned_partitions"])
    dep, old, new = random_id("d"), random_id("w"), random_id("w")
    person, spell_id = random_id("e"), random_id("s")
    src = Source(channel=Channel.IMPORT, registered_by="hr")
    at = NOW - timedelta(days=100)
    here = OrgRef(workplace_id=new, department_id=dep)
    events = [
        DepartmentUpserted(event_id=uuid.uuid4(), occurred_at=at, source=src,
                           department_id=dep, name="Vård"),
        *[WorkplaceUpserted(event_id=uuid.uuid4(), occurred_at=at, source=src, workplace_id=w,
                            name=w, department_id=dep) for w in (old, new)],
        EmployeeUpserted(
            event_id=uuid.uuid4(), occurred_at=at, source=src, employee_id=person, org=here,
            name="x", placements=[
                Placement(workplace_id=old, valid_from=D(2027, 1, 1), valid_to=D(2028, 3, 8)),
                Placement(workplace_id=new, valid_from=D(2028, 3, 8)),  # from Wed 8 Mar
            ],
        ),
        # Mon 6 .. Fri 10 Mar (back Mon 13): 6, 7 Mar in the old workplace, 8-10 in the new.
        SickReported(event_id=uuid.uuid4(), occurred_at=at, source=src, employee_id=person,
                     org=here, spell_id=spell_id, absence_type="sick", sick_from=D(2028, 3, 6),
                     degree_percent=100, reason_visibility=ReasonVisibility.WITHHELD),
        WellReported(event_id=uuid.uuid4(), occurred_at=at, source=src, employee_id=person,
                     org=here, spell_id=spell_id, well_from=D(2028, 3, 13)),
    ]  # fmt: skip
    publish(kafka_bootstrap, *events)

    def march(**unit) -> float | None:
        response = client.get(
            "/v1/stats/net-days", params={"from": "2028-03", "to": "2028-03", **unit}
        )
        return (
            response.json()["months"][0]["sick"]["net_days"]
            if response.status_code == 200
            else None
        )

    eventually(lambda: march() == 5.0)
    assert (march(workplace_id=old), march(workplace_id=new), march(department_id=dep)) == (
        2.0,
        3.0,
        5.0,
    )
    # The answers are kept, but not past a change: half-time sick on the same days.
    half = SpellCorrected(
        event_id=uuid.uuid4(), occurred_at=at, source=src, employee_id=person, org=here,
        spell_id=spell_id, absence_type="sick", sick_from=D(2028, 3, 6),
        well_from=D(2028, 3, 13), degree_percent=50,
        reason_visibility=ReasonVisibility.WITHHELD, why="deltid",
    )  # fmt: skip
    publish(kafka_bootstrap, half)
    eventually(lambda: march() == 2.5)
    assert march(workplace_id=new) == 1.5


# --- privacy -------------------------------------------------------------------------------


@pytest.fixture
def municipality(protected) -> Reports:
    """d1: w1 (12 women, 36) and w2 (4 men, 66); d2: w3 (30 women, 27)."""
    staff = [employee(f"a{n}", "w1", gender="F", birth_year=1990) for n in range(12)]
    staff += [employee(f"b{n}", "w2", gender="M", birth_year=1960) for n in range(4)]
    staff += [employee(f"c{n}", "w3", gender="F", birth_year=1999) for n in range(30)]
    mondays = (D(2026, 2, 2), D(2026, 4, 6), D(2026, 6, 1), D(2026, 9, 7))
    spells = [spell(f"n{e}", e, D(2026, 11, 2), D(2026, 11, 9)) for e in ("a0", "a1")]  # 5 days
    spells += [  # four one-day occasions each: five in d1 and one in d2
        spell(f"{e}-{n}", e, day, day + timedelta(days=1))
        for e in ("a2", "a3", "a4", "a5", "a6", "c0")
        for n, day in enumerate(mondays)
    ]
    protected.load(org=[("w1", "d1"), ("w2", "d1"), ("w3", "d2")], employees=staff, spells=spells)
    return protected


def test_every_answer_states_the_rule_it_was_withheld_by(municipality):
    for endpoint in ENDPOINTS:
        body = municipality.get(endpoint)
        assert (body["min_group_size"], body["min_cell_count"]) == (10, 5), endpoint
        assert body["note"].startswith("null: withheld"), endpoint


def test_a_small_workplace_withholds_its_net_days_and_its_siblings(municipality):
    november = {"from": "2026-11", "to": "2026-11"}
    (whole,) = municipality.get("net-days", **november)["months"]
    assert whole["employees"] == 46
    assert whole["sick"]["net_days"] == 10.0 and whole["sick"]["net_days_per_employee"] == 0.217
    (d1,) = municipality.get("net-days", **november, department_id="d1")["months"]
    assert (d1["employees"], d1["sick"]["net_days_per_employee"]) == (16, 0.625)
    # w2 has 4 employees; d1 less w1 would give its figure away, so w1 is withheld too.
    for workplace, heads in (("w1", 12), ("w2", 4)):
        (month,) = municipality.get("net-days", **november, workplace_id=workplace)["months"]
        assert month["employees"] == heads
        assert set(month["sick"].values()) == {None} and set(month["vab"].values()) == {None}
    (w3,) = municipality.get("net-days", **november, workplace_id="w3")["months"]
    assert w3["sick"]["net_days"] == 0.0
    (row,) = municipality.csv("net-days", **november, workplace_id="w1")
    assert row["employees"] == "12" and row["sick_net_days"] == "<5"


def test_repeated_absence_of_few_employees_is_withheld_with_a_sibling(municipality):
    on = {"date": "2026-11-23"}
    (point,) = municipality.get("repeated-absence", **on)["points"]
    assert point["all"] == {
        "group": "all", "name": "all", "employees": 46, "repeated": 6, "percent": 13.0,
    }  # fmt: skip
    # d2's one (of 30) is too few; alone it would be 6 − d1's 5, so d1 goes too.
    body = municipality.get("repeated-absence", **on, group_by="department")
    assert [(g["group"], g["name"], g["employees"], g["repeated"], g["percent"])
            for g in body["points"][0]["groups"]] == [
        ("d1", "Förvaltning d1", 16, None, None),
        ("d2", "Förvaltning d2", 30, None, None),
    ]  # fmt: skip
    # Four men are too few to describe, and the women would be the rest of "all".
    by_gender = municipality.get("repeated-absence", **on, group_by="gender")["points"][0]
    assert [(g["group"], g["repeated"]) for g in by_gender["groups"]] == [("F", None), ("M", None)]
    rows = municipality.csv("repeated-absence", **on, group_by="department")
    assert [(r["group"], r["employees"], r["repeated"]) for r in rows] == [
        ("all", "46", "6"), ("d1", "16", "<5"), ("d2", "30", "<5"),
    ]  # fmt: skip
    # A month series: the share at each month's end, today in November.
    series = municipality.get("repeated-absence", **{"from": "2026-09", "to": "2026-11"})
    assert [p["date"] for p in series["points"]] == ["2026-09-30", "2026-10-31", "2026-11-23"]
    assert [p["all"]["repeated"] for p in series["points"]] == [6, 6, 6]


def test_key_figures_and_lengths_withhold_small_groups_and_counts(municipality):
    body = municipality.get("key-figures", year=2026)
    assert body["through"] == "2026-11-23" and body["overall"]["employees"] == 46
    assert body["overall"]["sick_hours"] == 80.0 + 6 * 4 * 8  # two 5-day spells, 24 one-day
    # Men: 4 employees, and the women would be the overall less them.
    assert (body["women"]["percent"], body["men"]["percent"]) == (None, None)
    assert body["women"]["employees"] == 42 and body["women"]["ordinary_hours"] > 0
    # >=50 (4) is too small; 30-49 (12) goes with it; <=29 (30) is shown: 8 h × 4 of c0.
    assert body["age_50_and_over"]["percent"] is None and body["age_30_to_49"]["percent"] is None
    assert body["age_up_to_29"]["sick_hours"] == 32.0
    assert body["long_term"]["percent"] is None  # nobody was away 60 days: a count below 5
    # 26 spells of 1-14 days: 2 × 7 calendar days (Mon 2 .. Sun 8 Nov) + 24 × 1; none longer,
    # and 0 is below 5.
    length = municipality.get("length", **{"from": "2026-01-01", "to": "2026-11-23"})
    assert length["total"] == {"band": "all", "spells": 26, "sick_days": 38}
    assert [(b["spells"], b["sick_days"]) for b in length["bands"]] == [
        (26, 38), (None, None), (None, None),
    ]  # fmt: skip
    rows = municipality.csv("length", **{"from": "2026-01-01", "to": "2026-11-23"})
    assert rows[-1] == {"band": "91+", "spells": "<5", "sick_days": "<5"}


# --- bad requests and who may ask ----------------------------------------------------------


BAD_REQUESTS = [
    ("net-days", {"from": "2026-05", "to": "2026-01"}, "'to' is before 'from'"),
    ("net-days", {"from": "2020-01", "to": "2026-11"}, "at most 60 months"),
    ("net-days", {"from": "2026-13"}, "'from' must be a month as YYYY-MM"),
    ("net-days", {"to": "2026-12"}, "'to' may be 2026-11 at the latest"),
    ("net-days", {"department_id": "nope"}, "no department 'nope'"),
    ("net-days", {"workplace_id": "nope"}, "no workplace 'nope'"),
    ("net-days", {"department_id": "d1", "workplace_id": "w1"}, "not both"),
    ("net-days", {"format": "xml"}, "format"),
    ("repeated-absence", {"date": "2026-11-23", "from": "2026-01"}, "not both"),
    ("repeated-absence", {"date": "2026-11-24"}, "'date' may be 2026-11-23"),
    ("repeated-absence", {"group_by": "shoe_size"}, "group_by"),
    ("length", {"from": "2026-05-01", "to": "2026-01-01"}, "'to' is before 'from'"),
    ("length", {"from": "2020-01-01", "to": "2026-11-01"}, "at most five years"),
    ("length", {"to": "2026-12-01"}, "'to' may be 2026-11-23"),
    ("key-figures", {"year": 2027}, "'year' may be 2026"),
    ("key-figures", {"year": "last"}, "year"),
    ("cost", {"to": "2026-11"}, "'to' may be 2026-10"),  # whole months only
    ("cost", {"trend": "01=abc"}, "not a number"),
    ("cost", {"trend": "13=0.9"}, "MM=factor"),
    ("cost", {"from": "2026-01", "to": "2026-02", "trend": "01=0.98"}, "no trend factor"),
    (
        "cost",
        {
            "from": "2026-01",
            "to": "2026-03",
            "reference_from": "2025-01",
            "reference_to": "2025-02",
        },
        "lacks the calendar months ['03']",
    ),
    ("cost", {"reference_from": "2024-01", "reference_to": "2025-06"}, "at most 12 months"),
    ("cost", {"price_per_day": 0}, "price_per_day"),
]


def test_bad_requests_say_what_is_wrong(municipality):
    for endpoint, params, says in BAD_REQUESTS:  # one database for all: each costs a migration
        response = municipality.client.get(f"/v1/stats/{endpoint}", params=params)
        assert response.status_code == 422, (endpoint, params, response.text)
        assert says in response.json()["detail"], (endpoint, params, response.text)


def test_only_aggregate_roles_read_the_figures(protected):
    nurse = {
        "Authorization": f"Bearer {issue_token(protected.settings, subject='n', role=Role.NURSE)}"
    }
    for endpoint in ENDPOINTS:
        assert protected.client.get(f"/v1/stats/{endpoint}", headers=nurse).status_code == 403
        assert (
            protected.client.get(f"/v1/stats/{endpoint}", headers={"Authorization": ""}).status_code
            == 401
        )
    for role in (Role.HR, Role.MANAGER, Role.ADMIN):
        token = {
            "Authorization": f"Bearer {issue_token(protected.settings, subject='r', role=role)}"
        }
        assert protected.client.get("/v1/stats/key-figures", headers=token).status_code == 200
