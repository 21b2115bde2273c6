"""The day's figures and their protection: the daily series agrees with the day view, and no
hidden cell can be recovered by subtracting shown siblings from a shown parent."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stats.adapters.tables import Spell
from services.stats.day_counts import Placements, SpellFacts, Tally, contribution
from services.stats.domain import Org, Suppression, protect
from services.stats.views import (
    MEASURES,
    QUALITY_MEASURES,
    counts_from_rows,
    daily_series,
    data_quality,
    day_figures,
    days_between,
    follow_up,
)

RULE = Suppression(min_group_size=10, min_cell_count=5)
ORG = Org(
    workplace_department={"w1": "d1", "w2": "d1", "w3": "d2", "w4": "d3"},
    workplace_names={},
    department_names={"d1": "Ett", "d2": "Två", "d3": "Tre"},
    headcount={"w1": 30, "w2": 12, "w3": 40, "w4": 8},
)
FIRST = date(2026, 1, 1)


def test_a_single_hidden_sibling_takes_the_next_smallest_with_it():
    assert protect([6, 2, 7], [12, 12, 12], RULE) == [None, None, 7]
    assert protect([6, 7], [12, 5], RULE) == [None, None]  # group too small
    assert protect([9, 8, 7], [12, 12, 12], RULE) == [9, 8, 7]
    assert protect([1, 1, 20], [12, 12, 40], RULE) == [None, None, None]


@settings(max_examples=200, deadline=None)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=6),
    sizes=st.lists(st.integers(min_value=1, max_value=60), min_size=6, max_size=6),
)
def test_subtraction_never_recovers_a_small_hidden_count(counts, sizes):
    """Whether or not the parent is shown itself: it may be had another way."""
    sizes = sizes[: len(counts)]
    cells = protect(counts, sizes, RULE)
    hidden = [c for c, cell in zip(counts, cells, strict=True) if cell is None]
    for count, size, cell in zip(counts, sizes, cells, strict=True):
        if cell is not None:
            assert count >= 5 and size >= 10 and cell == count
    if hidden and len(hidden) < len(counts):  # subtraction yields the hidden ones' sum only
        assert len(hidden) > 1 and (sum(hidden) == 0 or sum(hidden) >= 5)


def test_a_department_withheld_for_a_sibling_does_not_show_its_workplaces():
    """d3 (8 people, 1 away) is withheld, and d2 with it; were d2's workplaces shown, d2 would
    be their sum and d3 the municipality less d1 and d2."""
    org = Org(
        workplace_department={"w1": "d1", "w2": "d1", "w3": "d2", "w4": "d2", "w5": "d3"},
        workplace_names={}, department_names={},
        headcount={"w1": 12, "w2": 30, "w3": 12, "w4": 30, "w5": 8},
    )  # fmt: skip
    counts = counts_from_rows(
        (w, (0, 0, 0, n, 0)) for w, n in {"w1": 2, "w2": 20, "w3": 6, "w4": 7, "w5": 1}.items()
    )
    view = day_figures(counts, org, RULE)
    departments = {d["department_id"]: d["absent"] for d in view["departments"]}
    workplaces = {w["workplace_id"]: w["absent"] for w in view["workplaces"]}
    assert view["municipality"]["absent"] == 36
    assert departments == {"d1": 22, "d2": None, "d3": None}
    assert workplaces == {"w1": None, "w2": None, "w3": None, "w4": None, "w5": None}


@st.composite
def spells(draw):
    found = []
    for n in range(draw(st.integers(min_value=0, max_value=40))):
        start = FIRST + timedelta(days=draw(st.integers(min_value=-20, max_value=40)))
        length = draw(st.one_of(st.none(), st.integers(min_value=1, max_value=30)))
        found.append(
            Spell(
                spell_id=f"s{n}",
                employee_id=f"e{n}",
                workplace_id=draw(st.sampled_from(["w1", "w2", "w3", "w4"])),
                department_id="?",
                absence_type=draw(st.sampled_from(["sick", "sick", "vab"])),
                sick_from=start,
                well_from=None if length is None else start + timedelta(days=length),
                reported_on=start + timedelta(days=draw(st.integers(min_value=0, max_value=3))),
            )
        )
    return found


def tally_of(found: list[Spell], through: date) -> Tally:
    tally = Tally()
    for s in found:
        contribution(SpellFacts.of(s), Placements(), through, tally)
    return tally


def workplace_counts(tally: Tally, day: date):
    return counts_from_rows((w, v) for w, d, v in tally.changed_cells() if d == day)


def department_counts(tally: Tally, day: date):
    rows = [(ORG.workplace_department[w], v) for w, d, v in tally.changed_cells() if d == day]
    return counts_from_rows(rows)


@settings(max_examples=60, deadline=None)
@given(spells())
def test_the_daily_series_gives_each_day_what_the_day_view_gives(found):
    last = FIRST + timedelta(days=20)
    tally = tally_of(found, last)
    per_day = {day: department_counts(tally, day) for day in days_between(FIRST, last)}
    series = daily_series(per_day, FIRST, last, ORG, RULE)
    for offset in range(21):
        day = FIRST + timedelta(days=offset)
        view = day_figures(workplace_counts(tally, day), ORG, RULE)
        for measure in (*MEASURES, "absent_per_100", "headcount"):
            assert series["municipality"][offset][measure] == view["municipality"][measure]
            for department in view["departments"]:
                cell = series[department["department_id"]][offset]
                assert cell[measure] == department[measure], (day, measure)


def spell(n: int, workplace: str, sick_from: date, **kw) -> Spell:
    return Spell(
        spell_id=f"q{n}", employee_id=f"e{n}", workplace_id=workplace, department_id="?",
        absence_type="sick", sick_from=sick_from, **kw,
    )  # fmt: skip


def test_data_quality_counts_overdue_backdated_and_corrected_per_department():
    day = date(2026, 3, 10)
    found = [
        # d3 (w3, 40 people): five overdue well reports, one of them also backdated
        *[spell(n, "w3", date(2026, 3, 1), expected_return=date(2026, 3, 5)) for n in range(4)],
        spell(4, "w3", date(2026, 3, 1), expected_return=date(2026, 3, 9), reported_on=day),
        # back in time, or expected later: not overdue
        spell(5, "w3", date(2026, 3, 1), expected_return=date(2026, 3, 5), well_from=day),
        spell(6, "w3", date(2026, 3, 1), expected_return=date(2026, 3, 12)),
        # d1 (w1, w2: 42 people): five overdue as well, one of them corrected
        *[
            spell(10 + n, "w1", date(2026, 3, 1), expected_return=date(2026, 3, 2))
            for n in range(4)
        ],
        spell(7, "w1", date(2026, 3, 1), expected_return=date(2026, 3, 2), corrected=True),
    ]
    counts: dict[str, dict[str, int]] = {}
    for s in found:  # what the read model's query counts, per workplace
        measures = [
            s.well_from is None and s.expected_return is not None and s.expected_return < day,
            s.reported_on is not None and s.reported_on > s.sick_from,
            s.corrected,
        ]
        for measure, counted in zip(QUALITY_MEASURES, measures, strict=True):
            per_workplace = counts.setdefault(measure, {})
            per_workplace[s.workplace_id] = per_workplace.get(s.workplace_id, 0) + int(counted)
    rows = {r["department_id"]: r for r in data_quality(counts, ORG, RULE)}
    # d3 (8 people) is too small to show, even as 0; so that the total (10) minus d1 and d2
    # cannot give it away, d1 (5, first of the smallest) is withheld with it.
    assert [rows[d]["overdue_well_reports"] for d in ("d1", "d2", "d3")] == [None, 5, None]
    assert rows["d2"]["backdated"] is None and rows["d1"]["corrected"] is None  # 1 each


def test_follow_up_counts_what_stood_per_month_rule_and_department():
    class T:
        def __init__(self, n, rule_id, fired_on, withdrawn=False, handled=False):
            self.trigger_id, self.workplace_id, self.department_id = f"t{n}", "w3", "d2"
            self.rule_id, self.fired_on = rule_id, fired_on
            self.withdrawn, self.handled = withdrawn, handled

    triggers = [T(n, "omtankesamtal", date(2026, 3, 1 + n), handled=n < 5) for n in range(6)]
    triggers.append(T(9, "omtankesamtal", date(2026, 3, 20), withdrawn=True))
    triggers.append(T(10, "omtankesamtal", date(2026, 4, 2)))

    class C:  # the cases service's record of a trigger's case
        def __init__(self, held_on=None, closed_on=None):
            self.held_on, self.closed_on = held_on, closed_on

    cases = {f"t{n}": C(held_on=date(2026, 3, 20)) for n in range(5)}
    cases["t0"] = C(held_on=date(2026, 3, 20), closed_on=date(2026, 4, 30))
    cases["t10"] = C(held_on=date(2026, 4, 10))
    rows = follow_up(triggers, ORG, RULE, cases)
    assert rows == [
        {"month": "2026-03", "department_id": "d2", "rule_id": "omtankesamtal", "fired": 6,
         "handled": 5, "conversations_held": 5, "plans_closed": None},
        {"month": "2026-04", "department_id": "d2", "rule_id": "omtankesamtal", "fired": None,
         "handled": None, "conversations_held": None, "plans_closed": None},
    ]  # fmt: skip
