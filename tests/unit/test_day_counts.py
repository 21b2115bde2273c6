"""Counts per workplace and day: each spell's days land in the workplace of that day, an open
spell is away up to today, and moving today forward gives what counting afresh gives."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.stats.day_counts import (
    COUNTED,
    Placement,
    Placements,
    SpellFacts,
    Tally,
    advance,
    contribution,
)

JAN = date(2028, 1, 1)


def facts(sick_from: date, well_from: date | None = None, **kw) -> SpellFacts:
    values = {
        "employee_id": "e1", "workplace_id": "w1", "absence_type": "sick",
        "sick_from": sick_from, "well_from": well_from, "reported_on": sick_from,
        "reason_category": None, **kw,
    }  # fmt: skip
    return SpellFacts(**values)


def table(tally: Tally) -> dict[tuple[str, date], dict[str, int]]:
    return {
        (w, d): {m: v for m, v in zip(COUNTED, values, strict=True) if v}
        for w, d, values in tally.changed_cells()
    }


def test_a_move_mid_spell_splits_its_days_between_the_two_workplaces():
    moved = Placements.of(
        [
            Placement("w1", valid_from=date(2027, 1, 1), valid_to=JAN + timedelta(days=9)),
            Placement("w2", valid_from=JAN + timedelta(days=9), valid_to=None),
        ]
    )
    tally = Tally()
    spell = facts(JAN + timedelta(days=7), well_from=JAN + timedelta(days=11))
    contribution(spell, moved, JAN + timedelta(days=30), tally)
    assert table(tally) == {
        ("w1", date(2028, 1, 8)): {"new_sick": 1, "absent_sick": 1},
        ("w1", date(2028, 1, 9)): {"absent_sick": 1},
        ("w2", date(2028, 1, 10)): {"absent_sick": 1},
        ("w2", date(2028, 1, 11)): {"absent_sick": 1},
        ("w2", date(2028, 1, 12)): {"back": 1},  # the first day back, in the unit of that day
    }
    assert sorted(tally.changed_causes()) == [
        (date(2028, 1, d), "not_given", 1) for d in range(8, 12)
    ]


def test_vab_is_counted_apart_and_never_as_a_cause_of_sickness():
    tally = Tally()
    contribution(facts(JAN, well_from=JAN + timedelta(days=1), absence_type="vab"), Placements(),
                 JAN, tally)  # fmt: skip
    assert table(tally) == {
        ("w1", JAN): {"new_vab": 1, "absent_vab": 1},
        ("w1", JAN + timedelta(days=1)): {"back": 1},
    }
    assert tally.changed_causes() == []


def test_an_open_spell_is_away_up_to_today_and_across_the_leap_day():
    tally = Tally()
    spell = facts(date(2028, 2, 27), reason_category="respiratory")
    contribution(spell, Placements(), date(2028, 3, 1), tally)
    absent = sorted(d for (w, d), cell in table(tally).items() if cell.get("absent_sick"))
    assert absent == [date(2028, 2, 27), date(2028, 2, 28), date(2028, 2, 29), date(2028, 3, 1)]
    assert (date(2028, 2, 29), "respiratory", 1) in tally.changed_causes()


def test_a_spell_registered_later_counts_as_new_on_the_day_it_was_registered():
    tally = Tally()
    contribution(facts(JAN, well_from=JAN + timedelta(days=3), reported_on=JAN + timedelta(days=2)),
                 Placements(), JAN + timedelta(days=5), tally)  # fmt: skip
    assert table(tally)[("w1", JAN + timedelta(days=2))] == {"new_sick": 1, "absent_sick": 1}
    assert table(tally)[("w1", JAN)] == {"absent_sick": 1}


@st.composite
def spells_and_moves(draw):
    placements = Placements()
    if draw(st.booleans()):
        moved_on = JAN + timedelta(days=draw(st.integers(0, 40)))
        placements = Placements.of(
            [Placement("w1", JAN - timedelta(days=400), moved_on), Placement("w2", moved_on, None)]
        )
    start = JAN + timedelta(days=draw(st.integers(0, 40)))
    length = draw(st.one_of(st.none(), st.integers(0, 30)))
    well = None if length is None else start + timedelta(days=length)
    kind = draw(st.sampled_from(["sick", "vab"]))
    return facts(start, well_from=well, absence_type=kind), placements


@settings(max_examples=150, deadline=None)
@given(
    spells=st.lists(spells_and_moves(), max_size=8),
    first=st.integers(0, 50),
    days=st.integers(0, 30),
)
def test_moving_today_forward_gives_what_counting_afresh_gives(spells, first, days):
    through, later = JAN + timedelta(days=first), JAN + timedelta(days=first + days)
    moved_forward = Tally()
    for spell, placements in spells:
        contribution(spell, placements, through, moved_forward)
    advance(spells, through, later, moved_forward)
    afresh = Tally()
    for spell, placements in spells:
        contribution(spell, placements, later, afresh)
    assert table(moved_forward) == table(afresh)
    assert sorted(moved_forward.changed_causes()) == sorted(afresh.changed_causes())


@settings(max_examples=150, deadline=None)
@given(before=spells_and_moves(), after=spells_and_moves())
def test_a_change_is_its_new_contribution_less_its_old_one(before, after):
    through = JAN + timedelta(days=60)
    changed = Tally()
    contribution(*before, through, changed)
    contribution(*before, through, changed, sign=-1)
    contribution(*after, through, changed)
    fresh = Tally()
    contribution(*after, through, fresh)
    assert table(changed) == table(fresh)
