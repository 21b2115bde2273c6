"""The figure endpoints' cells and their protection, against examples worked by hand (the
arithmetic is in the comments), and the parsing of their months and trend factors.

Calendar facts used below: 2026-03-02 and 2025-12-15 are Mondays; 2026 has 261 working days
(2,088 hours full time); 2028 is a leap year.
"""

from collections import Counter
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.stats import figure_rows, figures
from services.stats.domain import Org, Suppression
from services.stats.figures import EmployeeRow, Placement, SpellRow
from services.stats.report_views import (
    UNPLACED,
    UnitHeads,
    cost_figures,
    cost_rows,
    key_figure_cells,
    key_figure_rows,
    length_figures,
    net_days_figures,
    net_days_rows,
    net_days_shown,
    parse_month,
    parse_trend,
    protect_groups,
    repeated_absence_points,
    repeated_absence_rows,
    series_days,
    shift_month,
    unit_heads_by_month,
)

D = date
RULE = Suppression(min_group_size=10, min_cell_count=5)
ORG = Org(
    workplace_department={"w1": "d1", "w2": "d1", "w3": "d2"},
    workplace_names={},
    department_names={"d1": "Vård och omsorg", "d2": "Skola"},
    headcount={},
)


def sick(spell_id, employee_id, first, well=None, degree=100):
    return SpellRow(spell_id, employee_id, "sick", first, well, degree)


def placed(employee_id, workplace, department, **fields):
    return EmployeeRow(
        employee_id, placements=(Placement(workplace, department, D(2020, 1, 1)),), **fields
    )


# --- parameters ----------------------------------------------------------------------------


def test_months_are_parsed_and_shifted_across_the_year():
    assert parse_month("2026-03", "from") == "2026-03"
    for bad in ("2026-13", "2026-3", "26-03", "2026-00", "march"):
        with pytest.raises(ValueError, match="'from' must be a month as YYYY-MM"):
            parse_month(bad, "from")
    assert shift_month("2026-01", -1) == "2025-12"
    assert shift_month("2025-12", 1) == "2026-01"
    assert shift_month("2026-03", -12) == "2025-03"


def test_a_series_is_taken_on_each_months_last_day_and_today_in_the_current_month():
    assert series_days("2028-01", "2028-03", today=D(2028, 3, 10)) == [
        D(2028, 1, 31),
        D(2028, 2, 29),  # leap year
        D(2028, 3, 10),
    ]


def test_trend_factors_by_calendar_month_or_by_month():
    assert parse_trend("01=0.98, 02=0.97,2026-03=1.1") == {"01": 0.98, "02": 0.97, "2026-03": 1.1}
    for bad, why in (
        ("01", "MM=factor"),
        ("13=1.0", "MM=factor"),
        ("1=1.0", "MM=factor"),
        ("", "MM=factor"),
        ("01=abc", "not a number"),
        ("01=0", "above 0"),
        ("01=nan", "above 0"),
        ("01=11", "at most 10"),
        ("01=1,01=0.9", "twice"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_trend(bad)


# --- protection of groups ------------------------------------------------------------------


def test_a_small_group_takes_the_next_smallest_with_it():
    # 4 is too small; alone it would be the parent less the others: 12 goes too (4 + 12 >= 10).
    assert protect_groups([30, 4, 12], RULE) == [True, False, False]
    # Two small ones hidden together still describe fewer than 10: a third goes.
    assert protect_groups([4, 5, 40, 50], RULE) == [False, False, False, True]
    # An empty group gives nothing away and takes nobody with it.
    assert protect_groups([30, 0, 12], RULE) == [True, False, True]


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=6),
    rest=st.integers(min_value=0, max_value=20),
)
def test_the_parent_less_the_shown_groups_never_describes_a_small_group(sizes, rest):
    shown = protect_groups([*sizes, rest], RULE)
    assert all(size >= 10 for size, ok in zip([*sizes, rest], shown, strict=True) if ok)
    hidden = [size for size, ok in zip([*sizes, rest], shown, strict=True) if not ok and size]
    if hidden and any(shown):  # the parent, shown or had another way, less the shown groups
        assert len(hidden) > 1 and sum(hidden) >= 10


# --- repeated absence ----------------------------------------------------------------------

ON = D(2026, 3, 31)  # window (31 Mar 2025, 31 Mar 2026]
STARTS = (D(2025, 5, 4), D(2025, 8, 4), D(2025, 11, 4), D(2026, 2, 4))  # 4 occasions


def repeated(employee_id):
    return [
        sick(f"{employee_id}-{n}", employee_id, day, day + timedelta(days=1))
        for n, day in enumerate(STARTS)
    ]


def test_repeated_absence_by_department_protects_the_numerators():
    # d1: 12 employees, 6 repeated; d2: 12, 5 repeated; d3: 3, 1 repeated.
    employees = [
        *(placed(f"a{n}", "w1", "d1", gender="F") for n in range(12)),
        *(placed(f"b{n}", "w3", "d2", gender="F") for n in range(12)),
        *(placed(f"c{n}", "w4", "d3", gender="M") for n in range(3)),
    ]
    spells = [s for e in ("a0", "a1", "a2", "a3", "a4", "a5") for s in repeated(e)]
    spells += [s for e in ("b0", "b1", "b2", "b3", "b4", "c0") for s in repeated(e)]
    (point,) = repeated_absence_points(spells, employees, [ON], "department", ORG, RULE)
    # All: 12 of 27 = 44.4 %.
    assert point["all"] == {
        "group": "all", "name": "all", "employees": 27, "repeated": 12, "percent": 44.4,
    }  # fmt: skip
    # d3 is too small (3); alone its 1 would be 12 − 6 − 5: d2 (5, the smallest) goes too.
    assert [(g["group"], g["name"], g["employees"], g["repeated"], g["percent"])
            for g in point["groups"]] == [
        ("d1", "Vård och omsorg", 12, 6, 50.0),
        ("d2", "Skola", 12, None, None),
        ("d3", "d3", 3, None, None),
    ]  # fmt: skip
    # By gender: F 24 with 11, M 3 with 1: M is too small and alone, so F goes as well.
    (by_gender,) = repeated_absence_points(spells, employees, [ON], "gender", ORG, RULE)
    assert [g["repeated"] for g in by_gender["groups"]] == [None, None]
    rows = repeated_absence_rows([point])
    assert rows[0] == {"date": ON, **point["all"]}
    assert [r["group"] for r in rows] == ["all", "d1", "d2", "d3"]


def test_a_share_of_fewer_than_five_employees_is_withheld_even_in_a_big_group():
    employees = [placed(f"a{n}", "w1", "d1", birth_year=1960) for n in range(30)]
    spells = [s for e in ("a0", "a1", "a2") for s in repeated(e)]  # 3 of 30 = 10 %
    (point,) = repeated_absence_points(spells, employees, [ON], "age_group", ORG, RULE)
    assert point["all"]["employees"] == 30
    assert (point["all"]["repeated"], point["all"]["percent"]) == (None, None)
    assert [(g["group"], g["repeated"]) for g in point["groups"]] == [(">=50", None)]


def test_age_groups_come_in_their_order_and_unknown_last():
    employees = [
        EmployeeRow("u"),
        EmployeeRow("old", birth_year=1960),
        EmployeeRow("young", birth_year=2000),
        EmployeeRow("mid", birth_year=1980),
    ]
    (point,) = repeated_absence_points([], employees, [ON], "age_group", ORG, RULE)
    assert [g["group"] for g in point["groups"]] == ["<=29", "30-49", ">=50", "unknown"]


# --- length --------------------------------------------------------------------------------


def test_length_bands_protect_the_small_bands_and_their_days():
    first, last = D(2026, 1, 1), D(2026, 12, 31)
    employees = [EmployeeRow(f"e{n}") for n in range(30)]
    employees.append(EmployeeRow("gone", employed_to=D(2025, 12, 31)))  # not in the group
    spells = [sick(f"s{n}", f"e{n}", D(2026, 2, 2), D(2026, 2, 5)) for n in range(7)]  # 3 days
    spells += [sick(f"m{n}", f"e{n}", D(2026, 5, 4), D(2026, 5, 24)) for n in range(5)]  # 20 days
    spells += [sick(f"l{n}", f"e{n}", D(2026, 3, 1), D(2026, 6, 9)) for n in range(2)]  # 100 days
    spells.append(sick("x", "nobody", D(2026, 2, 2), D(2026, 2, 5)))  # not in the directory
    found = length_figures(spells, employees, first, last, RULE)
    assert found["employees"] == 30
    # 14 spells of 7 × 3 + 5 × 20 + 2 × 100 = 321 days. 91+ has 2 (< 5); alone it would be the
    # total less the others, so 15-90 (5) goes too, and its days with it.
    assert found["total"] == {"band": "all", "spells": 14, "sick_days": 321}
    assert found["bands"] == [
        {"band": "1-14", "spells": 7, "sick_days": 21},
        {"band": "15-90", "spells": None, "sick_days": None},
        {"band": "91+", "spells": None, "sick_days": None},
    ]


# --- net days ------------------------------------------------------------------------------

MOVED = EmployeeRow(
    "moved",
    placements=(
        Placement("w1", "d1", D(2024, 1, 1), D(2026, 3, 11)),  # until Tue 10 Mar
        Placement("w2", "d2", D(2026, 3, 11)),
    ),
)
LATE = EmployeeRow(
    "late", employed_from=D(2026, 1, 1), placements=(Placement("w1", "d1", D(2026, 2, 15)),)
)
GONE = EmployeeRow("gone", employed_to=D(2026, 1, 31))  # in no workplace at all


def test_heads_of_every_unit_in_one_pass():
    heads = unit_heads_by_month([MOVED, LATE, GONE], "2026-01", "2026-03")
    assert heads.municipality == {"2026-01": 3, "2026-02": 2, "2026-03": 2}
    assert heads.departments == {
        "2026-01": {"d1": 1, UNPLACED: 2},  # late was employed, but placed from 15 Feb
        "2026-02": {"d1": 2, UNPLACED: 1},
        "2026-03": {"d1": 2, "d2": 1},  # the mover is a head in both
    }
    assert heads.workplaces["2026-03"] == {"w1": 2, "w2": 1}


@st.composite
def staff(draw):
    employees = []
    for n in range(draw(st.integers(min_value=0, max_value=6))):
        starts = sorted(
            draw(st.lists(st.integers(min_value=-60, max_value=150), min_size=0, max_size=3))
        )
        placements = tuple(
            Placement(draw(st.sampled_from(["w1", "w2", "w3"])), "?", D(2026, 1, 1) + timedelta(s))
            for s in starts
        )
        placements = tuple(
            Placement(p.workplace_id, ORG.workplace_department[p.workplace_id], p.valid_from)
            for p in placements
        )
        employed_from = draw(st.one_of(st.none(), st.dates(D(2025, 11, 1), D(2026, 5, 1))))
        employed_to = draw(st.one_of(st.none(), st.dates(D(2026, 1, 1), D(2026, 6, 30))))
        employees.append(
            EmployeeRow(f"e{n}", 100, None, None, employed_from, employed_to, placements)
        )
    return employees


@given(employees=staff())
def test_heads_of_every_unit_are_the_figures_headcount_of_that_unit(employees):
    months = figures.months_between("2026-01", "2026-04")
    heads = unit_heads_by_month(employees, "2026-01", "2026-04")
    assert figures.headcount_by_month(employees, months) == {
        m: heads.municipality[m] for m in months
    }
    for unit in ("w1", "w2", "w3", "d1", "d2"):
        level = heads.workplaces if unit.startswith("w") else heads.departments
        assert figures.headcount_by_month(employees, months, unit) == {
            m: level[m][unit] for m in months
        }


def test_net_days_of_a_unit_are_withheld_with_a_small_sibling():
    heads = UnitHeads(
        municipality=Counter({"2026-03": 46}),
        departments={"2026-03": Counter({"d1": 16, "d2": 30})},
        workplaces={"2026-03": Counter({"w1": 12, "w2": 4, "w3": 30})},
    )

    def shown(**unit):
        return net_days_shown(heads, "2026-03", ORG, RULE, **unit)

    assert shown() and shown(department_id="d1") and shown(department_id="d2")
    # w2 (4) is too small; d1 less w1 would give it away, so w1 (12) is withheld too.
    assert (shown(workplace_id="w1"), shown(workplace_id="w2")) == (False, False)
    assert shown(workplace_id="w3")
    # Three employees in no workplace: the municipality less d1 and d2 would be theirs, so
    # d1 (the smaller) is withheld; its workplaces stay protected as if it were shown.
    heads.departments["2026-03"][UNPLACED] = 3
    assert (shown(department_id="d1"), shown(department_id="d2")) == (False, True)
    assert shown(workplace_id="w1") is False


def test_net_days_per_month_sick_and_vab_apart_small_units_withheld():
    w1 = [placed(f"a{n}", "w1", "d1") for n in range(12)]
    w2 = [placed(f"b{n}", "w2", "d1", employment_degree_percent=50) for n in range(4)]
    spells = [
        # Mon 2 .. Fri 6 Mar (back 9 Mar): 5 days for a0; 50 % of b0's half post: 5 × 0.5 × 0.5.
        sick("s1", "a0", D(2026, 3, 2), D(2026, 3, 9)),
        sick("s2", "b0", D(2026, 3, 2), D(2026, 3, 9), degree=50),
        SpellRow("v1", "a1", "vab", D(2026, 3, 2), D(2026, 3, 4)),  # 2 days of VAB
    ]
    args = (spells, [*w1, *w2], "2026-03", "2026-03", D(2026, 3, 31), ORG, RULE)
    (march,) = net_days_figures(*args, department_id="d1")
    # d1: 16 heads; 5 + 1.25 = 6.25 net days, 0.391 a head; VAB 2, 0.125 a head.
    assert march["employees"] == 16
    assert march["sick"] == {
        "net_days": 6.25,
        "short_term_net_days": 6.25,
        "net_days_per_employee": 0.391,
        "short_term_net_days_per_employee": 0.391,
    }
    assert march["vab"]["net_days"] == 2 and march["vab"]["net_days_per_employee"] == 0.125
    # w2 (4 heads) and, with it, w1: withheld, though the heads are shown.
    (w1_march,) = net_days_figures(*args, workplace_id="w1")
    assert w1_march["employees"] == 12
    assert set(w1_march["sick"].values()) == {None} and set(w1_march["vab"].values()) == {None}
    assert net_days_rows([w1_march])[0] == {
        "month": "2026-03",
        "employees": 12,
        **{f"{kind}_{k}": None for kind in ("sick", "vab") for k in march["sick"]},
    }


# --- key figures ---------------------------------------------------------------------------


def key_staff():
    women = [EmployeeRow(f"f{n}", gender="F", birth_year=1990) for n in range(12)]  # 36 in 2026
    men = [EmployeeRow(f"m{n}", gender="M", birth_year=1960) for n in range(9)]  # 66
    return [*women, *men, EmployeeRow("x", gender="X", birth_year=2000)]  # 26


LONG = (D(2025, 12, 15), D(2026, 2, 16))  # 63 days, 32 working days in 2026 = 256 h


def test_key_figures_withhold_small_groups_and_a_long_term_share_of_few_people():
    spells = [sick("f", "f0", D(2026, 3, 2), D(2026, 3, 9)), sick("m", "m0", *LONG)]  # 40 h, 256 h
    cells = key_figure_cells(spells, key_staff(), 2026, D(2026, 12, 31), RULE)
    # Overall: 296 h of 22 × 2,088 = 45,936 h = 0.644 %.
    assert cells["overall"] == {
        "employees": 22, "ordinary_hours": 45936.0, "sick_hours": 296.0, "percent": 0.64,
    }  # fmt: skip
    # Women 12: 40 of 25,056 h = 0.160 %. Men (9) and the one of other gender hidden together
    # hold 10 employees, so the women are shown and the men withheld.
    assert cells["women"]["percent"] == 0.16 and cells["women"]["sick_hours"] == 40.0
    assert cells["men"] == {
        "employees": 9, "ordinary_hours": 18792.0, "sick_hours": None, "percent": None,
    }  # fmt: skip
    # Ages: <=29 (1) and >=50 (9) hidden together hold 10; 30-49 (the women) is shown.
    assert cells["age_up_to_29"]["percent"] is None
    assert cells["age_30_to_49"]["percent"] == 0.16
    assert cells["age_50_and_over"]["percent"] is None
    # The long-term hours are one man's: withheld, though all sick hours are shown.
    assert cells["long_term"] == {
        "long_term_sick_hours": None,
        "sick_hours": 296.0,
        "percent": None,
    }
    rows = key_figure_rows(cells)
    assert [r["figure"] for r in rows] == [
        "overall", "women", "men", "age_up_to_29", "age_30_to_49", "age_50_and_over",
        "long_term_share",
    ]  # fmt: skip
    assert rows[-1] == {
        "figure": "long_term_share", "employees": 22, "hours": None, "of_hours": 296.0,
        "percent": None,
    }  # fmt: skip


def test_the_long_term_share_of_five_people_is_shown():
    spells = [sick(f"m{n}", f"m{n}", *LONG) for n in range(5)]  # 5 × 256 = 1,280 h
    spells.append(sick("f", "f0", D(2026, 3, 2), D(2026, 3, 9)))  # 40 h
    cells = key_figure_cells(spells, key_staff(), 2026, D(2026, 12, 31), RULE)
    # 1,280 of 1,320 h = 96.97 %.
    assert cells["long_term"] == {
        "long_term_sick_hours": 1280.0, "sick_hours": 1320.0, "percent": 96.97,
    }  # fmt: skip


def test_key_figures_of_a_year_so_far_count_to_that_day():
    # To Fri 6 Mar 2026: 47 working days; the long spell's 2026 hours are all before.
    spells = [sick("m", "m0", *LONG)]
    cells = key_figure_cells(spells, key_staff(), 2026, D(2026, 3, 6), RULE)
    assert cells["overall"]["ordinary_hours"] == 22 * 47 * 8
    assert cells["overall"]["sick_hours"] == 256


# --- cost ----------------------------------------------------------------------------------


def cost_month(month, employees, reference_employees, saved):
    return figures.CostMonth(
        month=month,
        reference_month=f"2025-{month[5:]}",
        employees=employees,
        reference_employees=reference_employees,
        net_days=10.0,
        reference_net_days=12.5,
        per_employee=10 / employees,
        reference_per_employee=12.5 / reference_employees,
        trend_factor=1.0,
        adjusted_per_employee=10 / employees,
        saved_days=saved,
        value=saved * 1765,
    )


def test_cost_months_of_small_groups_are_withheld_and_protected_against_the_total():
    months = (
        cost_month("2026-01", 20, 25, 1.5),
        cost_month("2026-02", 8, 25, 2.25),  # 8 heads: withheld; January (20) goes with it
        cost_month("2026-03", 30, 25, 0.5),
    )
    evaluation = figures.CostEvaluation(
        months, saved_days=4.25, value=4.25 * 1765, price_per_day=1765
    )
    found = cost_figures(evaluation, RULE)
    assert [m["saved_days"] for m in found["months"]] == [None, None, 0.5]
    assert [m["value"] for m in found["months"]] == [None, None, 882.0]  # 882.5, to even
    assert found["months"][0]["employees"] == 20 and found["months"][0]["trend_factor"] == 1.0
    assert (found["saved_days"], found["value"]) == (4.25, 7501.0)  # 7,501.25 kr
    rows = cost_rows(found)
    assert rows[-1]["month"] == "total" and rows[-1]["saved_days"] == 4.25
    assert rows[-1]["employees"] == "" and rows[-1]["net_days"] == ""  # blank: does not apply
    small = figures.CostEvaluation((cost_month("2026-01", 8, 9, 1.0),), 1.0, 1765.0, 1765)
    assert cost_figures(small, RULE)["saved_days"] is None


# --- the read model's rows -----------------------------------------------------------------


def test_placements_take_their_department_from_the_workplace_and_default_to_the_current():
    mapping = {"w1": "d1", "w2": "d2"}
    assert figure_rows.placements("w1", D(2024, 5, 1), [], mapping) == (
        Placement("w1", "d1", D(2024, 5, 1)),
    )
    assert figure_rows.placements("w1", None, [], mapping) == (Placement("w1", "d1", D.min),)
    history = [
        {"workplace_id": "w1", "valid_from": "2024-05-01", "valid_to": "2026-03-11"},
        {"workplace_id": "w9", "valid_from": "2026-03-11", "valid_to": None},
    ]
    assert figure_rows.placements("w9", D(2024, 5, 1), history, mapping) == (
        Placement("w1", "d1", D(2024, 5, 1), D(2026, 3, 11)),
        Placement("w9", figures.UNKNOWN, D(2026, 3, 11)),  # a workplace the org does not know
    )
