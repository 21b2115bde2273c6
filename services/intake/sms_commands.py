"""The SMS commands of the line and their Swedish replies, without I/O.

SJUK, SJUK VAB, SJUK 24/11 (expected return), SJUK VAB 24/11, FRISK, HJÄLP, STOP and START;
case, extra spaces and å/ä/ö versus a/a/o do not matter.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from schemas.reports import AbsenceType
from services.intake.domain import ReportRejected, SpellConflict


@dataclass(frozen=True)
class Sick:
    absence_type: AbsenceType
    expected_return: date | None = None


@dataclass(frozen=True)
class Well:
    pass


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class OptOut:
    """STOP: no more reminders by SMS."""


@dataclass(frozen=True)
class OptIn:
    """START: reminders by SMS again."""


@dataclass(frozen=True)
class NotUnderstood:
    why: str


Command = Sick | Well | Help | OptOut | OptIn | NotUnderstood

MAX_EXPECTED_AHEAD = timedelta(days=183)
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_WORDS: dict[str, Command] = {"HJALP": Help(), "HJÄLP": Help(), "HELP": Help(), "FRISK": Well(),
          "STOP": OptOut(), "STOPP": OptOut(), "START": OptIn()}  # fmt: skip


def expected_return(text: str, today: date) -> date | None:
    """'24/11' as the next 24 November after today; ValueError when no such date, or when it
    lies more than half a year ahead (a typo for a past day, not a planned return)."""
    match = _DATE.match(text)
    if not match:
        raise ValueError(text)
    day, month = int(match[1]), int(match[2])
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if today < candidate <= today + MAX_EXPECTED_AHEAD:
            return candidate
    raise ValueError(text)


def parse_sms(text: str, *, today: date) -> Command:
    """Read one SMS from an employee."""
    words = text.upper().split()
    if not words:
        return NotUnderstood("tomt meddelande")
    if len(words) == 1 and words[0] in _WORDS:
        return _WORDS[words[0]]
    if words[0] == "VAB":
        words = ["SJUK", *words]
    if words[0] != "SJUK":
        return NotUnderstood(f"okänt kommando {words[0]}")
    rest = words[1:]
    absence = AbsenceType.SICK
    if rest and rest[0] == "VAB":
        absence, rest = AbsenceType.VAB, rest[1:]
    if not rest:
        return Sick(absence)
    if len(rest) > 1:
        return NotUnderstood("för många ord efter SJUK")
    try:
        return Sick(absence, expected_return(rest[0], today))
    except ValueError:
        return NotUnderstood(f"{rest[0]} är inget kommande datum (skriv dag/månad, t.ex. 24/11)")


def short(day: date) -> str:
    return f"{day.day}/{day.month}"


def help_text(line_number: str) -> str:
    return (
        "Hälsosupport: SJUK = sjuk i dag. SJUK VAB = vård av sjukt barn. SJUK 24/11 = "
        "sjuk, åter 24/11. FRISK = åter i arbete. STOP = inga påminnelser. "
        f"Frågor: ring {line_number}."
    )


def unknown_number_text(line_number: str) -> str:
    return (
        "Hej! Vi känner inte igen ditt nummer, så inget har registrerats. "
        f"Ring Hälsosupport på {line_number} så hjälper vi dig."
    )


def sick_registered_text(sick: Sick, today: date) -> str:
    kind = "vård av sjukt barn" if sick.absence_type is AbsenceType.VAB else "sjukanmälan"
    back = f" Beräknad åter {short(sick.expected_return)}." if sick.expected_return else ""
    return (
        f"Tack! Din {kind} från {short(today)} är registrerad.{back} "
        "Krya på dig. Skicka FRISK när du är tillbaka."
    )


def well_registered_text(well_from: date) -> str:
    return f"Tack! Du är friskanmäld från {short(well_from)}. Välkommen tillbaka!"


def opted_out_text() -> str:
    return "Du får inga fler påminnelser från Hälsosupport. Skicka START för att få dem igen."


def opted_in_text() -> str:
    return "Du får påminnelser från Hälsosupport igen. Skicka STOP för att sluta."


def not_understood_text(why: str, line_number: str) -> str:
    return f"Vi förstod inte ({why}). Skicka HJÄLP för kommandon eller ring {line_number}."


def rejected_text(command: Command, rejected: ReportRejected, line_number: str) -> str:
    """The rule that stopped the command, in words the employee can act on."""
    conflict = isinstance(rejected, SpellConflict)
    if conflict and isinstance(command, Well):
        return (
            "Vi hittar ingen pågående sjukanmälan att avsluta. "
            f"Ring Hälsosupport på {line_number} om något inte stämmer."
        )
    if conflict:
        return (
            "Du har redan en pågående sjukanmälan. Skicka FRISK när du är tillbaka, "
            f"eller ring {line_number} om du vill ändra den."
        )
    return f"Vi kunde inte registrera det. Ring Hälsosupport på {line_number}."
