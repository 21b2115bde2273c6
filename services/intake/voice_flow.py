"""The phone bot's decisions and words, without I/O: what a key press or a spoken word
means at each step. The call's state travels in the signed callback URLs, so a caller who
hangs up before confirming leaves nothing registered."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Choice(StrEnum):
    SICK = "1"
    WELL = "2"
    VAB = "3"
    NURSE = "0"


# The nurse comes first: "jag är sjuk men vill prata med en sköterska" asks for a human.
SPOKEN_CHOICES = {
    Choice.NURSE: ("noll", "sjuksköterska", "sköterska", "prata", "människa"),
    Choice.SICK: ("ett", "sjuk", "sjukanmälan", "sjukanmäla"),
    Choice.WELL: ("två", "frisk", "friskanmälan", "friskanmäla"),
    Choice.VAB: ("tre", "vab", "barn", "vård av barn"),
}
YES = ("ja", "bekräfta", "japp", "ok", "okej", "ett")
NO = ("nej", "avbryt", "två")

GREETING = "Välkommen till Hälsosupport."
MENU = (
    "Tryck 1 för att sjukanmäla dig, 2 för att friskanmäla dig, 3 för vård av sjukt barn, "
    "eller 0 för att tala med en sjuksköterska."
)
ASK_PERSONNUMMER = "Knappa in ditt personnummer med tolv siffror."
NOT_RECOGNISED = "Vi hittar inte det personnumret."
CONNECTING = "Du kopplas nu till en sjuksköterska."
CANCELLED = "Inget har registrerats. Hej då."
NO_OPEN_SPELL = "Vi hittar ingen pågående sjukanmälan att avsluta."
CONFIRM = "Tryck 1 för att bekräfta, eller 2 för att avbryta."


def _words(speech: str | None) -> str:
    return (speech or "").strip().lower().rstrip(".!?")


def menu_choice(digits: str | None, speech: str | None) -> Choice | None:
    """A key press wins; otherwise a recognised spoken word."""
    if digits:
        return Choice(digits[0]) if digits[0] in {c.value for c in Choice} else None
    said = _words(speech)
    for choice, words in SPOKEN_CHOICES.items():
        if any(word in said.split() or word == said for word in words):
            return choice
    return None


def confirmed(digits: str | None, speech: str | None) -> bool | None:
    """True to register, False to cancel, None when the answer was not understood."""
    if digits:
        return {"1": True, "2": False}.get(digits[0])
    said = _words(speech)
    if said in YES or said.startswith("ja"):
        return True
    if said in NO or said.startswith("nej"):
        return False
    return None


def spoken_date(day: date) -> str:
    months = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti",
              "september", "oktober", "november", "december"]  # fmt: skip
    return f"den {day.day} {months[day.month - 1]}"


@dataclass(frozen=True)
class ReadBack:
    """What the caller hears before confirming."""

    text: str


def read_back(choice: Choice, *, today: date, well_from: date | None = None) -> ReadBack:
    if choice is Choice.SICK:
        return ReadBack(f"Du sjukanmäler dig från i dag, {spoken_date(today)}. {CONFIRM}")
    if choice is Choice.VAB:
        return ReadBack(
            f"Du anmäler vård av sjukt barn från i dag, {spoken_date(today)}. {CONFIRM}"
        )
    assert well_from is not None
    return ReadBack(f"Du friskanmäler dig från {spoken_date(well_from)}. {CONFIRM}")


def registered(choice: Choice) -> str:
    if choice is Choice.WELL:
        return "Tack, din friskanmälan är registrerad. Välkommen tillbaka. Hej då."
    return "Tack, din anmälan är registrerad och din chef får besked. Krya på dig. Hej då."


def rejected(choice: Choice, conflict: bool) -> str:
    """Why nothing was registered, before the caller is put through to a nurse."""
    if conflict and choice is Choice.WELL:
        return NO_OPEN_SPELL
    if conflict:
        return "Du har redan en pågående anmälan."
    return "Vi kunde inte registrera din anmälan."
