"""The pilot's and SKR's figures against examples worked by hand (the arithmetic is in the
comments), and against a day-by-day count for random spells.

Calendar facts used below: 2026-01-01 is a Thursday, 2026-02-01 a Sunday, 2026-03-02 a Monday,
2026-04-01 a Wednesday, 2028-02-29 a Tuesday. 2025 and 2026 each have 261 working days.
"""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.stats.figures import (
    AGE_GROUPS,
    LENGTH_BANDS,
    Band,
    EmployeeRow,
    Placement,
    Share,
    SpellRow,
    age_group,
    cost_evaluation,
    data_quality,
    headcount_by_month,
    key_figures,
    length_bands,
    months_before,
    months_between,
    net_days_by_month,
    placement_on,
    repeated_absence,
    working_days,
)
from services.triggers.windows import months_before as triggers_months_before

D = date
approx = pytest.approx


def sick(spell_id, employee_id, first, well=None, degree=100):
    return SpellRow(spell_id, employee_id, "sick", first, well, degree)


def vab(spell_id, employee_id, first, well=None):
    return SpellRow(spell_id, employee_id, "vab", first, well)


def staff(*ids, **fields):
    return [EmployeeRow(i, **fields) for i in ids]


# --- working days ----------------------------------------------------------------------------


def naive_working_days(first, last):
    return sum(
        1 for n in range((last - first).days + 1) if (first + timedelta(days=n)).weekday() < 5
    )


def test_working_days_leave_out_weekends():
    assert working_days(D(2026, 1, 1), D(2026, 1, 4)) == 2  # Thu, Fri; Sat, Sun not
    assert working_days(D(2026, 1, 3), D(2026, 1, 4)) == 0  # a weekend alone
    assert working_days(D(2026, 1, 1), D(2026, 12, 31)) == 261  # 52 weeks + Thursday
    assert working_days(D(2028, 2, 28), D(2028, 3, 1)) == 3  # Mon, leap Tue 29th, Wed
    assert working_days(D(2026, 1, 2), D(2026, 1, 1)) == 0  # empty


@given(
    first=st.dates(min_value=D(1990, 1, 1), max_value=D(2040, 1, 1)),
    length=st.integers(min_value=-3, max_value=800),
)
def test_working_days_closed_form_equals_counting_day_by_day(first, length):
    last = first + timedelta(days=length)
    assert working_days(first, last) == (naive_working_days(first, last) if length >= 0 else 0)


@given(day=st.dates(min_value=D(2015, 1, 1), max_value=D(2035, 12, 31)), months=st.integers(1, 36))
def test_the_window_is_the_trigger_rules_window(day, months):
    assert months_before(day, months) == triggers_months_before(day, months)


def test_months_between_crosses_the_year():
    assert months_between("2025-11", D(2026, 2, 14)) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    assert months_between("2026-03", "2026-02") == []


# --- net days by month -----------------------------------------------------------------------


def test_a_spell_crossing_a_month_boundary_is_split_and_vab_is_kept_apart():
    spells = [
        # Wed 28 Jan .. Tue 3 Feb (back Wed 4 Feb): Jan 28, 29, 30 = 3 days (Sat 31 not);
        # Feb 2, 3 = 2 days (Sun 1 not). All within days 1-14, so all short-term.
        sick("s", "a", D(2026, 1, 28), D(2026, 2, 4)),
        # VAB Mon 12 .. Tue 13 Jan: 2 days, in the VAB column only.
        vab("v", "b", D(2026, 1, 12), D(2026, 1, 14)),
    ]
    figures = net_days_by_month(spells, staff("a", "b"), "2026-01", "2026-02")
    jan, feb = figures["2026-01"], figures["2026-02"]
    assert (jan.employees, feb.employees) == (2, 2)
    assert (jan.sick.net_days, jan.sick.short_term_net_days) == (3, 3)
    assert jan.sick.net_days_per_employee == 1.5  # 3 days ÷ 2 employees
    assert (feb.sick.net_days, feb.sick.net_days_per_employee) == (2, 1.0)
    assert (jan.vab.net_days, jan.vab.net_days_per_employee) == (2, 1.0)
    assert feb.vab.net_days == 0


def test_a_leap_day_inside_a_spell_is_a_working_day_of_february():
    # Mon 28 Feb, Tue 29 Feb (leap day), Wed 1 Mar; back Thu 2 Mar.
    spells = [sick("s", "a", D(2028, 2, 28), D(2028, 3, 2))]
    figures = net_days_by_month(spells, staff("a"), "2028-02", "2028-03")
    assert figures["2028-02"].sick.net_days == 2
    assert figures["2028-03"].sick.net_days == 1


def test_part_time_sick_leave_of_a_part_time_employee_weighs_both_fractions():
    # 50 % sick leave of a 75 % post, Mon 2 Mar .. Sun 15 Mar (back Mon 16 Mar): 10 working
    # days (both weekends left out) × 8 h × 0.5 × 0.75 = 30 hours = 3.75 net days.
    spells = [sick("s", "a", D(2026, 3, 2), D(2026, 3, 16), degree=50)]
    employees = staff("a", employment_degree_percent=75)
    march = net_days_by_month(spells, employees, "2026-03", "2026-03")["2026-03"]
    assert march.sick.net_days == approx(3.75)
    assert march.sick.short_term_net_days == approx(3.75)  # days 1-14 = 2..15 March
    assert march.employees == 1  # a part-time employee is one head


def test_an_open_spell_runs_to_the_end_of_the_range_or_to_as_of():
    # Open from Wed 25 Mar. March: 25, 26, 27, 30, 31 = 5 days.
    # April (1 Apr is a Wednesday): 3 + 5 + 5 + 5 + 4 = 22 working days.
    # Days 1-14 are 25 Mar .. 7 Apr: April's short-term days are 1, 2, 3, 6, 7 = 5.
    spells = [sick("s", "a", D(2026, 3, 25))]
    figures = net_days_by_month(spells, staff("a"), "2026-03", "2026-04")
    assert figures["2026-03"].sick.net_days == 5
    assert figures["2026-04"].sick.net_days == 22
    assert figures["2026-04"].sick.short_term_net_days == 5
    # On Friday 3 April the spell has lasted to that day: April 1, 2, 3.
    so_far = net_days_by_month(spells, staff("a"), "2026-03", "2026-04", as_of=D(2026, 4, 3))
    assert so_far["2026-04"].sick.net_days == 3
    assert so_far["2026-03"].sick.net_days == 5


def test_short_term_days_are_the_first_fourteen_calendar_days_of_each_spell():
    # Mon 2 Feb .. Sun 1 Mar (back Mon 2 Mar): days 1-14 are 2..15 Feb = 10 working days;
    # the other 10 working days of February are not short-term.
    spells = [sick("s", "a", D(2026, 2, 2), D(2026, 3, 2))]
    feb = net_days_by_month(spells, staff("a"), "2026-02", "2026-02")["2026-02"]
    assert (feb.sick.net_days, feb.sick.short_term_net_days) == (20, 10)


MOVED = EmployeeRow(
    "m",
    placements=(
        Placement("w1", "d1", D(2024, 1, 1), D(2026, 3, 11)),  # until Tue 10 Mar
        Placement("w2", "d2", D(2026, 3, 11)),  # from Wed 11 Mar
    ),
)


def test_a_move_mid_spell_splits_the_days_between_the_units():
    # Mon 9 .. Fri 13 Mar (back Mon 16): 9, 10 in w1/d1; 11, 12, 13 in w2/d2.
    spells = [sick("s", "m", D(2026, 3, 9), D(2026, 3, 16))]

    def days(unit):
        return net_days_by_month(spells, [MOVED], "2026-03", "2026-03", unit)["2026-03"]

    assert days(None).sick.net_days == 5
    assert (days("w1").sick.net_days, days("d1").sick.net_days) == (2, 2)
    assert (days("w2").sick.net_days, days("d2").sick.net_days) == (3, 3)
    assert days("w3").sick.net_days == 0
    # The mover is a head in both units in March, so per-employee figures do not add up.
    assert (days("w1").employees, days("w2").employees) == (1, 1)
    assert days("w1").sick.net_days_per_employee == 2


def test_the_later_placement_wins_where_two_overlap():
    employee = EmployeeRow(
        "o",
        placements=(
            Placement("w1", "d1", D(2026, 1, 1)),  # never closed
            Placement("w2", "d1", D(2026, 3, 1), D(2026, 4, 1)),  # a temporary move
        ),
    )
    assert placement_on(employee, D(2026, 2, 28)).workplace_id == "w1"
    assert placement_on(employee, D(2026, 3, 31)).workplace_id == "w2"
    assert placement_on(employee, D(2026, 4, 1)).workplace_id == "w1"
    assert placement_on(employee, D(2025, 12, 31)) is None


def test_sick_days_count_only_while_employed():
    joiner = EmployeeRow("j", employed_from=D(2026, 3, 4))  # starts Wed 4 Mar
    leaver = EmployeeRow("l", employed_to=D(2026, 3, 3))  # last day Tue 3 Mar
    spells = [
        sick("sj", "j", D(2026, 3, 2), D(2026, 3, 9)),  # 4, 5, 6 Mar only = 3
        sick("sl", "l", D(2026, 3, 2), D(2026, 3, 9)),  # 2, 3 Mar only = 2
        sick("sx", "nobody", D(2026, 3, 2), D(2026, 3, 9)),  # not in the directory: left out
    ]
    figures = net_days_by_month(spells, [joiner, leaver], "2026-02", "2026-04")
    assert figures["2026-03"].sick.net_days == 5
    assert figures["2026-03"].employees == 2  # both were employed some day of March
    assert figures["2026-02"].employees == 1  # the joiner had not started
    assert figures["2026-04"].employees == 1  # the leaver had left
    assert figures["2026-02"].sick.net_days == 0


def test_a_month_with_nobody_employed_has_no_per_employee_figure():
    figures = net_days_by_month(
        [], [EmployeeRow("a", employed_from=D(2026, 5, 1))], "2026-04", "2026-04"
    )
    assert figures["2026-04"].employees == 0
    assert figures["2026-04"].sick.net_days_per_employee is None


# --- length bands ----------------------------------------------------------------------------


def test_spells_are_banded_by_their_whole_length_in_calendar_days():
    first, last = D(2026, 1, 1), D(2026, 6, 30)
    spells = [
        sick("one", "a", D(2026, 3, 2), D(2026, 3, 3)),  # 1 day -> 1-14
        sick("fourteen", "a", D(2026, 1, 5), D(2026, 1, 19)),  # 14 days -> 1-14
        sick("fifteen", "a", D(2026, 2, 2), D(2026, 2, 17)),  # 15 days -> 15-90
        sick("ninety", "b", D(2026, 4, 1), D(2026, 6, 30)),  # 30 + 31 + 29 = 90 -> 15-90
        sick("open", "c", D(2026, 4, 1)),  # open, to 30 Jun: 30 + 31 + 30 = 91 -> 91+
        sick("past-end", "d", D(2026, 6, 20), D(2026, 7, 20)),  # 30 days, to its real end
        sick("before", "a", D(2025, 12, 20), D(2026, 1, 2)),  # started before: left out
        sick("nothing", "a", D(2026, 5, 4), D(2026, 5, 4)),  # no sick day: left out
        vab("vab", "a", D(2026, 5, 4), D(2026, 5, 8)),  # VAB: left out
    ]
    assert length_bands(spells, first, last) == {
        "1-14": Band(spells=2, sick_days=1 + 14),
        "15-90": Band(spells=3, sick_days=15 + 90 + 30),
        "91+": Band(spells=1, sick_days=91),
    }


def test_a_february_with_a_leap_day_is_one_day_longer():
    # 1 Feb .. 29 Feb 2028 (back 1 Mar) is 29 days: 15-90, not 1-14, and 29 days of sickness.
    spells = [sick("s", "a", D(2028, 2, 1), D(2028, 3, 1))]
    bands = length_bands(spells, D(2028, 1, 1), D(2028, 12, 31))
    assert bands["15-90"] == Band(1, 29)
    assert list(bands) == list(LENGTH_BANDS)


# --- repeated short absence ------------------------------------------------------------------

ON = D(2026, 3, 31)  # window (31 Mar 2025, 31 Mar 2026]


def occasions(employee_id, *starts, kind=sick):
    """One-day spells starting on these days."""
    return [
        kind(f"{employee_id}{n}", employee_id, day, day + timedelta(days=1))
        for n, day in enumerate(starts)
    ]


def test_more_than_three_occasions_counts_from_the_day_after_the_window_edge():
    spells = [
        # a: 1 Apr 2025 is the window's first day, 31 Mar 2026 its last: 4 occasions -> counted.
        *occasions("a", D(2025, 4, 1), D(2025, 6, 1), D(2025, 9, 1), D(2026, 3, 31)),
        # b: 31 Mar 2025 is outside (on − 12 months is excluded): 3 occasions -> not counted.
        *occasions("b", D(2025, 3, 31), D(2025, 6, 1), D(2025, 9, 1), D(2026, 1, 10)),
        # c: the fourth starts tomorrow: 3 occasions so far -> not counted.
        *occasions("c", D(2025, 6, 1), D(2025, 9, 1), D(2026, 1, 10), D(2026, 4, 1)),
        # d: three sick spells and one VAB: VAB is no occasion -> not counted.
        *occasions("d", D(2025, 6, 1), D(2025, 9, 1), D(2026, 1, 10)),
        vab("dv", "d", D(2026, 2, 2), D(2026, 2, 3)),
        # e: five occasions but left on 30 Mar 2026: not in the denominator either.
        *occasions("e", D(2025, 5, 1), D(2025, 6, 1), D(2025, 9, 1), D(2026, 1, 10), D(2026, 2, 1)),
    ]
    employees = [*staff("a", "b", "c", "d"), EmployeeRow("e", employed_to=D(2026, 3, 30))]
    assert repeated_absence(spells, employees, ON) == {"all": Share(1, 4, 25.0)}
    # With the other reading of the sources' threshold ("more than four"), nobody.
    assert repeated_absence(spells, employees, ON, more_than=4)["all"].numerator == 0


def test_repeated_absence_by_age_group_at_the_boundaries():
    # Age = 2026 − birth year: 1997 -> 29, 1996 -> 30, 1977 -> 49, 1976 -> 50.
    employees = [
        EmployeeRow("y29", birth_year=1997),
        EmployeeRow("y30", birth_year=1996),
        EmployeeRow("y49", birth_year=1977),
        EmployeeRow("y50", birth_year=1976),
        EmployeeRow("nobirth"),
    ]
    starts = (D(2025, 5, 4), D(2025, 8, 4), D(2025, 11, 4), D(2026, 2, 4))
    spells = [*occasions("y29", *starts), *occasions("y50", *starts)]
    assert repeated_absence(spells, employees, ON, "age_group") == {
        "30-49": Share(0, 2, 0.0),
        "<=29": Share(1, 1, 100.0),
        ">=50": Share(1, 1, 100.0),
        "unknown": Share(0, 1, 0.0),
    }
    assert [age_group(age) for age in (29, 30, 49, 50, None)] == [
        "<=29",
        "30-49",
        "30-49",
        ">=50",
        "unknown",
    ]
    assert AGE_GROUPS == ("<=29", "30-49", ">=50")


def test_repeated_absence_by_gender_and_by_department_on_the_day():
    employees = [
        EmployeeRow("f1", gender="F", placements=(Placement("w1", "d1", D(2020, 1, 1)),)),
        EmployeeRow("f2", gender="F", placements=(Placement("w1", "d1", D(2020, 1, 1)),)),
        EmployeeRow(
            "m1",
            gender="M",
            placements=(
                Placement("w1", "d1", D(2020, 1, 1), D(2026, 3, 1)),
                Placement("w3", "d2", D(2026, 3, 1)),  # in d2 on 31 Mar
            ),
        ),
        EmployeeRow("x1", gender="X"),  # no placement -> department "unknown"
    ]
    starts = (D(2025, 5, 4), D(2025, 8, 4), D(2025, 11, 4), D(2026, 2, 4))
    spells = [*occasions("f1", *starts), *occasions("m1", *starts)]
    assert repeated_absence(spells, employees, ON, "gender") == {
        "F": Share(1, 2, 50.0),
        "M": Share(1, 1, 100.0),
        "X": Share(0, 1, 0.0),
    }
    assert repeated_absence(spells, employees, ON, "department") == {
        "d1": Share(1, 2, 50.0),
        "d2": Share(1, 1, 100.0),
        "unknown": Share(0, 1, 0.0),
    }
    with pytest.raises(ValueError):
        repeated_absence(spells, employees, ON, "shoe_size")


# --- SKR's key figures -----------------------------------------------------------------------

KEY_EMPLOYEES = [
    EmployeeRow("a", gender="F", birth_year=1997),  # 29 in 2026; 261 days × 8 = 2088 h
    EmployeeRow("b", gender="M", birth_year=1996),  # 30; 2088 h
    EmployeeRow("c", gender="F", birth_year=1976, employment_degree_percent=50),  # 50; 1044 h
    # Other gender, unknown age, employed from Wed 1 Jul 2026: 184 days = 26 weeks + Wed, Thu
    # = 132 working days = 1056 h. Overall only.
    EmployeeRow("d", gender="X", employed_from=D(2026, 7, 1)),
]
KEY_SPELLS = [
    # a: Mon 15 Dec 2025 .. Sun 15 Feb 2026 (back 16 Feb): 17 + 31 + 15 = 63 days, long.
    # In 2026: January 22 + 1..15 Feb 10 = 32 days = 256 h. In 2025: 15..31 Dec, 13 days = 104 h.
    sick("a1", "a", D(2025, 12, 15), D(2026, 2, 16)),
    # b: Mon 2 .. Fri 6 Mar: 5 days = 40 h.
    sick("b1", "b", D(2026, 3, 2), D(2026, 3, 7)),
    # b: Mon 16 Nov 2026 .. 19 Jan 2027: 15 + 31 + 19 = 65 days, long, though only 46 of them
    # are in 2026: 16..30 Nov 11 + December 23 = 34 days = 272 h in 2026.
    sick("b2", "b", D(2026, 11, 16), D(2027, 1, 20)),
    # c: 50 % of a 50 % post, open from Mon 21 Dec: to 31 Dec 9 days × 8 × 0.5 × 0.5 = 18 h.
    sick("c1", "c", D(2026, 12, 21), degree=50),
    # d: Mon 29 Jun .. Thu 2 Jul, employed from Wed 1 Jul: 1, 2 Jul = 16 h.
    sick("d1", "d", D(2026, 6, 29), D(2026, 7, 3)),
    # VAB is never sick hours.
    vab("dv", "d", D(2026, 9, 7), D(2026, 9, 12)),
]


def test_key_figures_of_a_year():
    figures = key_figures(KEY_SPELLS, KEY_EMPLOYEES, 2026)
    # Sick 256 + 40 + 272 + 18 + 16 = 602 h of 2088 + 2088 + 1044 + 1056 = 6276 h.
    assert figures.overall.sick_hours == approx(602)
    assert figures.overall.ordinary_hours == approx(6276)
    assert figures.overall.employees == 4
    assert figures.overall.percent == approx(100 * 602 / 6276)
    # Women a and c: 256 + 18 = 274 h of 2088 + 1044 = 3132 h. Men b: 312 of 2088.
    assert figures.women.percent == approx(100 * 274 / 3132)
    assert figures.men.percent == approx(100 * 312 / 2088)
    assert (figures.women.employees, figures.men.employees) == (2, 1)
    # By age: a (29) 256/2088, b (30) 312/2088, c (50) 18/1044.
    assert figures.age_up_to_29.percent == approx(100 * 256 / 2088)
    assert figures.age_30_to_49.percent == approx(100 * 312 / 2088)
    assert figures.age_50_and_over.percent == approx(100 * 18 / 1044)
    # Long: a1 (63 days) and b2 (65 days, across the new year): (256 + 272) of 602 h.
    assert figures.long_term.long_term_sick_hours == approx(528)
    assert figures.long_term.percent == approx(100 * 528 / 602)


def test_key_figures_count_only_the_hours_inside_the_year():
    figures = key_figures(KEY_SPELLS, KEY_EMPLOYEES, 2025)
    # Only a1's December part, 104 h, and it is long; d was not yet employed.
    assert figures.overall.sick_hours == approx(104)
    assert figures.overall.employees == 3
    assert figures.overall.ordinary_hours == approx(261 * 8 * 2.5)  # a, b full time, c half
    assert figures.long_term.percent == approx(100.0)
    # 2025 age groups: a is 28, b 29, c 49.
    assert figures.age_up_to_29.employees == 2
    assert figures.age_50_and_over.employees == 0
    assert figures.age_50_and_over.percent is None


def test_key_figures_for_the_year_so_far():
    # To Fri 6 Mar 2026: working days Jan 22 + Feb 20 + Mar 5 = 47; a, b full, c half, d not yet.
    figures = key_figures(KEY_SPELLS, KEY_EMPLOYEES, 2026, as_of=D(2026, 3, 6))
    assert figures.overall.ordinary_hours == approx(47 * 8 * 2.5)
    assert figures.overall.sick_hours == approx(256 + 40)
    assert figures.overall.employees == 3


def test_a_spell_of_exactly_sixty_days_is_long():
    spells = [
        # Mon 2 Mar .. Thu 30 Apr (back 1 May): 30 + 30 = 60 days, long. 22 + 22 days = 352 h.
        sick("sixty", "a", D(2026, 3, 2), D(2026, 5, 1)),
        # Mon 1 Jun .. Wed 29 Jul (back 30 Jul): 30 + 29 = 59 days, not. 22 + 21 days = 344 h.
        sick("fifty-nine", "a", D(2026, 6, 1), D(2026, 7, 30)),
    ]
    figures = key_figures(spells, staff("a"), 2026)
    assert figures.long_term.sick_hours == approx(352 + 344)
    assert figures.long_term.percent == approx(100 * 352 / 696)


# --- the economic evaluation -----------------------------------------------------------------

COST_EMPLOYEES = [*staff("a", "b"), EmployeeRow("c", employed_from=D(2026, 2, 1))]
COST_SPELLS = [
    # Reference January 2025: Mon 13 .. Thu 16 Jan = 4 short-term days, 2 heads -> 2 a head.
    sick("r1", "a", D(2025, 1, 13), D(2025, 1, 17)),
    # b: 16 Dec 2024 .. 5 Jan 2025: its January days (1, 2, 3 Jan) are days 17-19: not short-term.
    sick("r2", "b", D(2024, 12, 16), D(2025, 1, 6)),
    # Reference February 2025: Mon 3, Tue 4 Feb = 2 days, 2 heads -> 1 a head.
    sick("r3", "a", D(2025, 2, 3), D(2025, 2, 5)),
    # January 2026: Mon 12, Tue 13 = 2 days, 2 heads -> 1 a head.
    sick("p1", "a", D(2026, 1, 12), D(2026, 1, 14)),
    # February 2026: Mon 2, Tue 3 = 2 days, 3 heads (c joined) -> 2/3 a head.
    sick("p2", "c", D(2026, 2, 2), D(2026, 2, 4)),
    vab("pv", "b", D(2026, 2, 2), D(2026, 2, 27)),  # never counted
]
PERIOD = ("2026-01", "2026-02")
REFERENCE = ("2025-01", "2025-02")


def test_saved_days_month_against_the_same_month_of_the_reference():
    result = cost_evaluation(COST_SPELLS, COST_EMPLOYEES, PERIOD, REFERENCE)
    jan, feb = result.months
    # January: (2 − 1) × 2 heads = 2 days saved. February: (1 − 2/3) × 3 heads = 1 day saved.
    assert (jan.month, jan.reference_month) == ("2026-01", "2025-01")
    assert (jan.reference_per_employee, jan.per_employee) == (2, 1)
    assert jan.saved_days == approx(2)
    assert feb.employees == 3
    assert feb.saved_days == approx(1)
    assert result.saved_days == approx(3)
    assert result.value == approx(3 * 1765)  # 5,295 kr


def test_the_trend_factor_adjusts_the_period_value_up():
    trend = {"01": 1.25, "02": 1.5}
    result = cost_evaluation(COST_SPELLS, COST_EMPLOYEES, PERIOD, REFERENCE, trend=trend)
    jan, feb = result.months
    # January: 1 × 1.25 = 1.25 a head; (2 − 1.25) × 2 = 1.5 days. February: 2/3 × 1.5 = 1 a head;
    # (1 − 1) × 3 = 0 days. Total 1.5 days = 2,647.50 kr.
    assert jan.adjusted_per_employee == approx(1.25)
    assert feb.saved_days == approx(0)
    assert result.value == approx(1.5 * 1765)
    # A factor of its own for one month overrides the calendar month's.
    own = cost_evaluation(
        COST_SPELLS, COST_EMPLOYEES, PERIOD, REFERENCE, trend={**trend, "2026-02": 1.0}
    )
    assert own.saved_days == approx(1.5 + 1)
    with pytest.raises(ValueError, match="trend"):
        cost_evaluation(COST_SPELLS, COST_EMPLOYEES, PERIOD, REFERENCE, trend={"01": 1.0})


def test_all_net_days_instead_of_the_short_term_ones():
    result = cost_evaluation(COST_SPELLS, COST_EMPLOYEES, PERIOD, REFERENCE, short_term_only=False)
    # Reference January now 4 + 3 = 7 days, 3.5 a head: (3.5 − 1) × 2 = 5; February 1. Total 6.
    assert result.months[0].reference_per_employee == approx(3.5)
    assert result.saved_days == approx(6)


def test_a_longer_period_reuses_the_reference_months():
    reference = ("2025-01", "2025-12")
    result = cost_evaluation(COST_SPELLS, COST_EMPLOYEES, ("2026-01", "2027-12"), reference)
    assert len(result.months) == 24
    assert result.months[12].month == "2027-01"
    assert result.months[12].reference_month == "2025-01"
    with pytest.raises(ValueError, match="reference"):
        cost_evaluation(COST_SPELLS, COST_EMPLOYEES, ("2026-01", "2026-03"), REFERENCE)
    with pytest.raises(ValueError, match="twice"):
        cost_evaluation(COST_SPELLS, COST_EMPLOYEES, PERIOD, ("2024-01", "2025-02"))


# --- data quality ----------------------------------------------------------------------------


def test_data_quality_on_a_day():
    on = D(2026, 3, 10)
    spells = [
        sick("forgot", "a", D(2026, 3, 2)),  # expected back 9 Mar, still open on the 10th
        sick("due-today", "b", D(2026, 3, 2)),  # expected back today: may still report
        sick("closed", "c", D(2026, 2, 20), D(2026, 3, 1)),
        sick("no-expectation", "d", D(2026, 3, 2)),
        vab("vab-forgot", "e", D(2026, 3, 3)),  # expected back 5 Mar: VAB column
        sick("backdated", "f", D(2026, 3, 2), D(2026, 3, 5)),  # reported 4 Mar
        sick("same-day", "g", D(2026, 3, 4), D(2026, 3, 5)),  # reported 4 Mar
        sick("reported-later", "h", D(2026, 3, 2), D(2026, 3, 5)),  # reported after the day
        sick("future", "i", D(2026, 3, 11)),  # not begun
    ]
    expected = {
        "forgot": D(2026, 3, 9),
        "due-today": D(2026, 3, 10),
        "closed": D(2026, 2, 25),
        "vab-forgot": D(2026, 3, 5),
        "future": D(2026, 3, 9),
    }
    reported = {
        "backdated": D(2026, 3, 4),
        "same-day": D(2026, 3, 4),
        "reported-later": D(2026, 3, 12),
    }
    quality = data_quality(spells, on, expected, reported, {"closed", "not-a-spell"})
    assert quality["sick"].open_past_expected_return == ("forgot",)
    assert quality["sick"].backdated == ("backdated",)
    assert quality["sick"].corrected == ("closed",)
    assert quality["sick"].counts() == {
        "open_past_expected_return": 1,
        "backdated": 1,
        "corrected": 1,
    }
    assert quality["vab"].open_past_expected_return == ("vab-forgot",)
    assert quality["vab"].backdated == ()


# --- properties against a day-by-day count ---------------------------------------------------

RANGE_FIRST, RANGE_LAST = D(2025, 11, 1), D(2026, 4, 30)
MONTHS = months_between(RANGE_FIRST, RANGE_LAST)
WORKPLACES = {"w1": "d1", "w2": "d1", "w3": "d2"}


@st.composite
def employee_rows(draw, employee_id):
    """An employee placed from well before the range on, moving between workplaces."""
    moves = sorted(draw(st.sets(st.dates(min_value=RANGE_FIRST, max_value=RANGE_LAST), max_size=3)))
    starts = [D(2020, 1, 1), *moves]
    placements = []
    for index, start in enumerate(starts):
        workplace = draw(st.sampled_from(sorted(WORKPLACES)))
        end = starts[index + 1] if index + 1 < len(starts) else None
        placements.append(Placement(workplace, WORKPLACES[workplace], start, end))
    around = st.one_of(st.none(), st.dates(min_value=D(2025, 10, 1), max_value=D(2026, 5, 31)))
    employed_from, employed_to = draw(around), draw(around)
    return EmployeeRow(
        employee_id,
        employment_degree_percent=draw(st.sampled_from([50, 75, 100])),
        employed_from=employed_from,
        employed_to=employed_to,
        placements=tuple(placements),
    )


@st.composite
def spell_rows(draw, employee_ids):
    first = draw(st.dates(min_value=D(2025, 10, 15), max_value=D(2026, 5, 15)))
    length = draw(st.one_of(st.none(), st.integers(min_value=0, max_value=70)))
    return SpellRow(
        spell_id=str(draw(st.integers())),
        employee_id=draw(st.sampled_from(employee_ids)),
        absence_type=draw(st.sampled_from(["sick", "vab"])),
        sick_from=first,
        well_from=None if length is None else first + timedelta(days=length),
        degree_percent=draw(st.sampled_from([25, 50, 75, 100])),
    )


world = st.tuples(
    st.tuples(employee_rows("a"), employee_rows("b"), employee_rows("c")),
    st.lists(spell_rows(["a", "b", "c"]), max_size=12),
)


def naive_unit(employee, day):
    covering = [
        p
        for p in employee.placements
        if p.valid_from <= day and (p.valid_to is None or day < p.valid_to)
    ]
    return max(covering, key=lambda p: p.valid_from, default=None)


def naive_net_days(spells, employees, kind, first, last, unit=None, short_term=False):
    """Walk every day of every spell: the definition, without any of the closed forms."""
    by_id = {e.employee_id: e for e in employees}
    hours = 0.0
    for spell in spells:
        employee = by_id[spell.employee_id]
        end = last if spell.well_from is None else spell.well_from - timedelta(days=1)
        day = spell.sick_from
        while day <= end:
            placement = naive_unit(employee, day)
            if (
                spell.absence_type == kind
                and first <= day <= last
                and day.weekday() < 5
                and (employee.employed_from is None or employee.employed_from <= day)
                and (employee.employed_to is None or day <= employee.employed_to)
                and (
                    unit is None
                    or (placement and unit in (placement.workplace_id, placement.department_id))
                )
                and (not short_term or (day - spell.sick_from).days < 14)
            ):
                hours += 8 * spell.degree_percent / 100 * employee.employment_degree_percent / 100
            day += timedelta(days=1)
    return hours / 8


@settings(max_examples=150, deadline=None)
@given(world=world, unit=st.sampled_from([None, "w1", "d1", "w3"]))
def test_monthly_net_days_add_up_to_the_day_by_day_count_of_the_whole_range(world, unit):
    employees, spells = world
    figures = net_days_by_month(spells, employees, MONTHS[0], MONTHS[-1], unit)
    for kind in ("sick", "vab"):
        total = sum(getattr(f, kind).net_days for f in figures.values())
        short = sum(getattr(f, kind).short_term_net_days for f in figures.values())
        assert total == approx(
            naive_net_days(spells, employees, kind, RANGE_FIRST, RANGE_LAST, unit)
        )
        assert short == approx(
            naive_net_days(spells, employees, kind, RANGE_FIRST, RANGE_LAST, unit, short_term=True)
        )


@settings(max_examples=100, deadline=None)
@given(world=world)
def test_a_month_alone_gives_what_it_gives_within_the_range(world):
    employees, spells = world
    figures = net_days_by_month(spells, employees, MONTHS[0], MONTHS[-1])
    for key in MONTHS:
        assert net_days_by_month(spells, employees, key, key)[key] == figures[key]


@settings(max_examples=150, deadline=None)
@given(world=world)
def test_splitting_by_unit_adds_up_to_the_whole(world):
    employees, spells = world  # placed without gaps, so every employed day is in one unit
    whole = net_days_by_month(spells, employees, MONTHS[0], MONTHS[-1])
    for units in (sorted(WORKPLACES), sorted(set(WORKPLACES.values()))):
        parts = [net_days_by_month(spells, employees, MONTHS[0], MONTHS[-1], u) for u in units]
        for key in MONTHS:
            for kind in ("sick", "vab"):
                split = sum(getattr(p[key], kind).net_days for p in parts)
                assert split == approx(getattr(whole[key], kind).net_days)
            # Heads are at least the whole's: a mover is one in each unit.
            assert sum(p[key].employees for p in parts) >= whole[key].employees


@settings(max_examples=100, deadline=None)
@given(world=world)
def test_headcount_is_anyone_employed_some_day_of_the_month(world):
    employees, _ = world
    heads = headcount_by_month(employees, MONTHS)
    for key in MONTHS:
        year, month = map(int, key.split("-"))
        days = [D(year, month, 1) + timedelta(days=n) for n in range(31)]
        days = [d for d in days if d.month == month]
        expected = sum(
            any(
                (e.employed_from is None or e.employed_from <= d)
                and (e.employed_to is None or d <= e.employed_to)
                for d in days
            )
            for e in employees
        )
        assert heads[key] == expected
