"""The line's rules for sick and well reports, the same for every channel."""

from datetime import date

import pytest

from schemas.reports import AbsenceType, ReasonVisibility
from services.intake import domain
from services.intake.domain import InvalidReport, SickReport, SpellConflict, SpellView
from services.intake.settings import DEFAULT_REASON_CATEGORIES

TODAY = date(2026, 11, 22)


def report(**changes) -> SickReport:
    fields = {
        "absence_type": AbsenceType.SICK,
        "sick_from": TODAY,
        "degree_percent": 100,
        "reason_category": None,
        "reason_visibility": ReasonVisibility.WITHHELD,
        "work_related": False,
        "expected_return": None,
        "followup_on": None,
        "note": None,
    }
    fields.update(changes)
    return SickReport(**fields)


def check(r: SickReport, spells=()) -> None:
    domain.check_sick_report(
        r,
        list(spells),
        today=TODAY,
        backdating_limit_days=7,
        reason_categories=DEFAULT_REASON_CATEGORIES,
    )


def test_a_report_for_today_or_up_to_a_week_back_is_accepted():
    check(report())
    check(report(sick_from=date(2026, 11, 15)))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sick_from": date(2026, 11, 23)}, "in the future"),
        ({"sick_from": date(2026, 11, 14)}, "more than 7 days back"),
        ({"expected_return": TODAY}, "expected_return must be after sick_from"),
        ({"followup_on": date(2026, 11, 21)}, "followup_on must not be before"),
        ({"reason_category": "flu"}, "unknown reason_category 'flu'"),
    ],
)
def test_bad_reports_are_refused_with_what_to_do(changes, message):
    with pytest.raises(InvalidReport, match=message):
        check(report(**changes))


def test_a_second_sick_report_while_a_spell_is_open_points_at_the_open_spell():
    open_vab = SpellView("s1", AbsenceType.VAB, date(2026, 11, 20), None)
    with pytest.raises(SpellConflict, match="vab spell from 2026-11-20 is still open") as raised:
        check(report(), [open_vab])
    assert raised.value.spell_id == "s1"


def test_a_backdated_report_may_not_overlap_a_closed_spell():
    closed = SpellView("s1", AbsenceType.SICK, date(2026, 11, 16), date(2026, 11, 19))
    with pytest.raises(SpellConflict, match="falls inside or before"):
        check(report(sick_from=date(2026, 11, 18)), [closed])
    check(report(sick_from=date(2026, 11, 19)), [closed])  # the day of return is free


def test_well_closes_the_open_spell_and_must_come_after_sick_from():
    spells = [SpellView("s1", AbsenceType.SICK, date(2026, 11, 20), None)]
    assert domain.open_spell_to_close(spells, date(2026, 11, 22), today=TODAY).spell_id == "s1"
    with pytest.raises(InvalidReport, match="must be after sick_from"):
        domain.open_spell_to_close(spells, date(2026, 11, 20), today=TODAY)
    with pytest.raises(InvalidReport, match="more than a day ahead"):
        domain.open_spell_to_close(spells, date(2026, 11, 24), today=TODAY)
    with pytest.raises(SpellConflict, match="no open spell"):
        domain.open_spell_to_close([], TODAY, today=TODAY)


def test_the_followup_call_defaults_to_day_three_and_never_to_the_past():
    assert domain.default_followup(date(2026, 11, 22), TODAY) == date(2026, 11, 24)
    assert domain.default_followup(date(2026, 11, 16), TODAY) == TODAY
