"""All dates in the domain are local dates in Europe/Stockholm (DESIGN §4)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_date(moment: datetime) -> date:
    """The calendar date in Sweden at `moment` (which must be timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no place in the domain; attach a timezone")
    return moment.astimezone(STOCKHOLM).date()
