"""What the retention purge decides is due, with hand-made dates."""

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from halsosupport.retention import message_due, note_due, spell_due
from halsosupport.settings import CommonSettings

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
