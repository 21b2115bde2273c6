"""Retention: how long each kind of data is kept, and what is due for purging. Pure.

Kinds: the line's nurse notes, spells (with their corrections), the notifier's messages, the
documentation of follow-up cases and the audit log. The audit log is not purged by
`halsosupport purge` (see the README).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta


@dataclass(frozen=True)
class Retention:
    """Days each kind of data is kept after it stopped being current."""

    nurse_notes_days: int = 90
    spells_days: int = 6 * 366
    messages_days: int = 90
    case_documentation_days: int = 2 * 366


def cutoff(now: datetime, days: int) -> datetime:
    """Anything older than this moment is due."""
    return now - timedelta(days=days)


def note_due(*, registered_at: datetime, well_from: date | None, now: datetime, days: int) -> bool:
    """A nurse's note goes `days` after the spell ended; an open spell keeps its note."""
    if well_from is None:
        return False
    return well_from < cutoff(now, days).date() and registered_at < cutoff(now, days)


def spell_due(*, well_from: date | None, now: datetime, days: int) -> bool:
    """A spell goes `days` after it ended; an open spell never does."""
    return well_from is not None and well_from < cutoff(now, days).date()


def message_due(*, status: str, created_at: datetime, now: datetime, days: int) -> bool:
    """A sent, failed or skipped message goes `days` after it was made; a pending one waits."""
    return status != "pending" and created_at < cutoff(now, days)


def case_documentation_due(*, ended_on: date | None, now: datetime, days: int) -> bool:
    """A case's documentation goes `days` after the case ended (closed, declined, withdrawn);
    a case still running keeps it."""
    return ended_on is not None and ended_on < cutoff(now, days).date()
