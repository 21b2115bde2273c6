"""The rules of the line, without I/O: when a sick or well report is acceptable.

Every channel (nurse console, API, SMS, phone bot) goes through these functions, so they
answer the same way everywhere.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from halsosupport.localtime import local_date
from schemas.reports import AbsenceType, ReasonVisibility

__all__ = ["local_date"]  # re-exported: the entrypoints compute "today" through the domain

FOLLOWUP_CALL_DAY = 3  # the nurse calls back "after a short time": in practice day 3


class ReportRejected(Exception):
    """A report the line must refuse; `message` tells the caller what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class UnknownEmployee(ReportRejected):
    pass


class UnknownSpell(ReportRejected):
    pass


class SpellConflict(ReportRejected):
    """The report contradicts the spells on record (409)."""

    def __init__(self, message: str, spell_id: str | None = None) -> None:
        super().__init__(message)
        self.spell_id = spell_id


class InvalidReport(ReportRejected):
    pass


class InvalidExemption(ReportRejected):
    pass


class UnknownExemption(UnknownEmployee):
    """No such exemption to lift. A kind of UnknownEmployee so the API answers 404 with no
    mapping of its own."""


@dataclass(frozen=True)
class SpellView:
    """What the rules need to know of a spell on record (retracted spells are left out)."""

    spell_id: str
    absence_type: AbsenceType
    sick_from: date
    well_from: date | None

    @property
    def is_open(self) -> bool:
        return self.well_from is None


def overlaps(
    first_from: date, first_to: date | None, second_from: date, second_to: date | None
) -> bool:
    """Whether two absences share a day; `*_to` is the first day back, None while open."""
    return (second_to is None or first_from < second_to) and (
        first_to is None or second_from < first_to
    )


@dataclass(frozen=True)
class SickReport:
    """A sick or VAB report as registered by any channel."""

    absence_type: AbsenceType
    sick_from: date
    degree_percent: int
    reason_category: str | None
    reason_visibility: ReasonVisibility
    work_related: bool
    expected_return: date | None
    followup_on: date | None
    note: str | None


def default_followup(sick_from: date, today: date) -> date:
    """Day 3 of the spell, but never in the past for a backdated report."""
    return max(sick_from + timedelta(days=FOLLOWUP_CALL_DAY - 1), today)


def check_sick_report(
    report: SickReport,
    spells: list[SpellView],
    *,
    today: date,
    backdating_limit_days: int,
    reason_categories: tuple[str, ...],
) -> None:
    """Raise ReportRejected when the report cannot be registered as a new spell."""
    if report.sick_from > today:
        raise InvalidReport(f"sick_from {report.sick_from} is in the future; today is {today}")
    earliest = today - timedelta(days=backdating_limit_days)
    if report.sick_from < earliest:
        raise InvalidReport(
            f"sick_from {report.sick_from} is more than {backdating_limit_days} days back "
            f"(earliest {earliest}); older absence is registered by HR as a correction"
        )
    if report.expected_return is not None and report.expected_return <= report.sick_from:
        raise InvalidReport("expected_return must be after sick_from")
    if report.followup_on is not None and report.followup_on < report.sick_from:
        raise InvalidReport("followup_on must not be before sick_from")
    _check_reason(report.reason_category, reason_categories)
    for spell in spells:
        if spell.is_open:
            raise SpellConflict(
                f"a {spell.absence_type.value} spell from {spell.sick_from} is still open; "
                "report well first, or correct the open spell instead of opening a new one",
                spell.spell_id,
            )
        if overlaps(report.sick_from, None, spell.sick_from, spell.well_from):
            raise SpellConflict(
                f"sick_from {report.sick_from} falls inside or before the spell "
                f"{spell.sick_from}–{spell.well_from}; correct that spell instead",
                spell.spell_id,
            )


def open_spell_to_close(spells: list[SpellView], well_from: date, *, today: date) -> SpellView:
    """The open spell a well report closes, or ReportRejected."""
    open_spells = [s for s in spells if s.is_open]
    if not open_spells:
        raise SpellConflict("there is no open spell to report well from")
    spell = open_spells[0]
    if well_from <= spell.sick_from:
        raise InvalidReport(
            f"well_from {well_from} must be after sick_from {spell.sick_from} "
            "(well_from is the first day back at work)"
        )
    if well_from > today + timedelta(days=1):
        raise InvalidReport(f"well_from {well_from} is more than a day ahead; today is {today}")
    return spell


def _check_reason(category: str | None, reason_categories: tuple[str, ...]) -> None:
    if category is not None and category not in reason_categories:
        raise InvalidReport(
            f"unknown reason_category {category!r}; use one of: {', '.join(reason_categories)}"
        )


@dataclass(frozen=True)
class SpellFacts:
    """A spell's correctable state, as a correction leaves it."""

    absence_type: AbsenceType
    sick_from: date
    well_from: date | None
    degree_percent: int
    reason_category: str | None
    reason_visibility: ReasonVisibility
    work_related: bool
    expected_return: date | None
    followup_on: date | None


def check_correction(
    before: SpellFacts,
    after: SpellFacts,
    others: list[SpellView],
    *,
    today: date,
    reason_categories: tuple[str, ...],
) -> None:
    """Raise ReportRejected when the corrected spell is impossible. Corrections may reach
    further back than new reports: registering old absence is what they are for."""
    if after == before:
        raise InvalidReport("the correction changes nothing")
    if after.sick_from > today:
        raise InvalidReport(f"sick_from {after.sick_from} is in the future; today is {today}")
    if after.well_from is not None:
        if after.well_from <= after.sick_from:
            raise InvalidReport("well_from must be after sick_from (the first day back at work)")
        if after.well_from > today + timedelta(days=1):
            raise InvalidReport(f"well_from {after.well_from} is more than a day ahead")
    if after.expected_return is not None and after.expected_return <= after.sick_from:
        raise InvalidReport("expected_return must be after sick_from")
    _check_reason(after.reason_category, reason_categories)
    for spell in others:
        if overlaps(after.sick_from, after.well_from, spell.sick_from, spell.well_from):
            raise SpellConflict(
                f"the corrected spell would overlap the {spell.absence_type.value} spell "
                f"{spell.sick_from}–{spell.well_from or 'open'}",
                spell.spell_id,
            )


RULE_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # as the triggers policy names its rules
WHY_MAX_CHARS = 500


@dataclass(frozen=True)
class ExemptionTerms:
    """What an exemption changes about a rule: all that travels. Why it was granted does not."""

    suppressed: bool
    threshold: int | None
    valid_until: date | None  # the last day it applies; None: until lifted


def check_rule_id(rule_id: str) -> None:
    if not RULE_ID.match(rule_id):
        raise InvalidExemption(
            f"rule_id {rule_id!r} must be lower-case letters, digits and _, start with a letter "
            "and be at most 64 characters (e.g. 'omtankesamtal')"
        )


def checked_why(why: str) -> str:
    """The reason HR records, stripped. Never echoed in a message: it is often a diagnosis."""
    stripped = why.strip()
    if not stripped:
        raise InvalidExemption("why is required: say why, for HR's record (it stays in intake)")
    if len(stripped) > WHY_MAX_CHARS:
        raise InvalidExemption(
            f"why is {len(stripped)} characters; at most {WHY_MAX_CHARS} are kept"
        )
    return stripped


def check_exemption(terms: ExemptionTerms, *, today: date) -> None:
    """Raise ReportRejected when the exemption would mean nothing or has already run out."""
    if not terms.suppressed and terms.threshold is None:
        raise InvalidExemption(
            "give suppressed: true or a threshold; an exemption with neither changes nothing"
        )
    if terms.threshold is not None and terms.threshold < 1:
        raise InvalidExemption(f"threshold must be 1 or more, got {terms.threshold}")
    if terms.valid_until is not None and terms.valid_until < today:
        raise InvalidExemption(f"valid_until {terms.valid_until} is in the past; today is {today}")
