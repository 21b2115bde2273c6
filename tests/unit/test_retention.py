"""What the retention purge decides is due, with hand-made dates."""

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from halsosupport.retention import case_documentation_due, message_due, note_due, spell_due
from halsosupport.settings import CommonSettings
from schemas.cases import CaseStatus
from services.cases.domain import ended_on

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def test_a_note_goes_after_its_spell_ended_plus_the_retention():
    registered = datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    assert note_due(registered_at=registered, well_from=date(2026, 3, 2), now=NOW, days=90)
    assert not note_due(registered_at=registered, well_from=date(2026, 3, 3), now=NOW, days=90)


def test_an_open_spell_keeps_its_note_and_itself():
    old = datetime(2019, 1, 1, tzinfo=UTC)
    assert not note_due(registered_at=old, well_from=None, now=NOW, days=90)
    assert not spell_due(well_from=None, now=NOW, days=2196)


def test_a_spell_goes_after_the_retention_counted_from_its_end():
    assert spell_due(well_from=date(2020, 5, 31), now=NOW, days=2191)
    assert not spell_due(well_from=date(2020, 6, 1), now=NOW, days=2191)


@pytest.mark.parametrize("status", ["sent", "failed", "skipped"])
def test_finished_messages_go_after_the_retention(status):
    assert message_due(
        status=status, created_at=datetime(2026, 3, 2, 11, 0, tzinfo=UTC), now=NOW, days=91
    )
    assert not message_due(
        status=status, created_at=datetime(2026, 3, 2, 13, 0, tzinfo=UTC), now=NOW, days=91
    )


def test_a_pending_message_is_never_purged():
    assert not message_due(
        status="pending", created_at=datetime(2020, 1, 1, tzinfo=UTC), now=NOW, days=1
    )


def test_spells_are_kept_at_least_five_years():
    with pytest.raises(ValidationError):
        CommonSettings(retention_spells_days=365)
    assert CommonSettings().retention().spells_days >= 5 * 366


def test_a_case_keeps_its_documentation_while_it_runs_and_for_the_retention_after():
    assert not case_documentation_due(ended_on=None, now=NOW, days=1)
    assert case_documentation_due(ended_on=date(2024, 5, 29), now=NOW, days=732)
    assert not case_documentation_due(ended_on=date(2024, 5, 30), now=NOW, days=732)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (CaseStatus.CLOSED, date(2026, 2, 1)),
        (CaseStatus.DECLINED, date(2026, 2, 2)),
        (CaseStatus.WITHDRAWN, date(2026, 2, 3)),  # no date of its own: the last change
        (CaseStatus.PLAN_RUNNING, None),
        (CaseStatus.OPEN, None),
    ],
)
def test_a_case_ends_on_its_closing_declining_or_withdrawal(status, expected):
    closed = date(2026, 2, 1) if status is CaseStatus.CLOSED else None
    declined = date(2026, 2, 2) if status is CaseStatus.DECLINED else None
    last_change = date(2026, 2, 3)
    assert (
        ended_on(status, closed_on=closed, declined_on=declined, last_change=last_change)
        == expected
    )


def test_case_documentation_is_kept_at_least_a_year():
    with pytest.raises(ValidationError):
        CommonSettings(retention_case_documentation_days=90)
