"""Swedish personal identity numbers (personnummer) and coordination numbers (samordningsnummer).

Accepted forms: 10 or 12 digits, with or without separator (`-`, or `+` for people aged 100
or more, in the 10-digit form). The canonical form is 12 digits, `YYYYMMDDNNNC`. A
samordningsnummer has 60 added to the day of birth.
"""

import re
from dataclasses import dataclass
from datetime import date

_FORM = re.compile(
    r"^(?P<century>\d{2})?(?P<yymmdd>\d{6})(?P<sep>[-+])?(?P<serial>\d{3})(?P<check>\d)$"
)


class InvalidPersonnummer(ValueError):
    """The text is not a valid personnummer or samordningsnummer; the message says why."""


@dataclass(frozen=True)
class Personnummer:
    canonical: str  # YYYYMMDDNNNC
    birth_date: date
    coordination: bool  # samordningsnummer

    @property
    def birth_year(self) -> int:
        return self.birth_date.year


def luhn_check_digit(nine_digits: str) -> int:
    """The check digit over YYMMDDNNN: weights 2,1,2,…; digits of products summed."""
    total = 0
    for index, char in enumerate(nine_digits):
        product = int(char) * (2 if index % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def parse(text: str, *, today: date) -> Personnummer:
    """Validate and canonicalise; `today` resolves the century of a 10-digit number."""
    cleaned = text.strip().replace(" ", "")
    match = _FORM.match(cleaned)
    if not match:
        raise InvalidPersonnummer("expected 10 or 12 digits, e.g. 19800101-1234 or 800101-1234")
    century, yymmdd, sep = match["century"], match["yymmdd"], match["sep"]
    if century is not None and sep == "+":
        raise InvalidPersonnummer("'+' belongs to the 10-digit form only")
    year2, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6])
    coordination = day > 60
    birth_day = day - 60 if coordination else day
    if century is None:
        year = _resolve_century(year2, month, birth_day, plus=sep == "+", today=today)
    else:
        year = int(century + yymmdd[:2])
    try:
        birth = date(year, month, birth_day)
    except ValueError as error:
        raise InvalidPersonnummer(f"no such date of birth: {error}") from error
    if birth > today:
        raise InvalidPersonnummer("the date of birth lies in the future")
    nine = yymmdd + match["serial"]
    if luhn_check_digit(nine) != int(match["check"]):
        raise InvalidPersonnummer("wrong check digit (Luhn)")
    return Personnummer(
        canonical=f"{year:04d}{yymmdd[2:]}{match['serial']}{match['check']}",
        birth_date=birth,
        coordination=coordination,
    )


def _resolve_century(year2: int, month: int, day: int, *, plus: bool, today: date) -> int:
    """The latest year ending in `year2` not after today; 100 years earlier for '+'."""
    year = today.year - (today.year - year2) % 100
    try:
        if date(year, month, day) > today:
            year -= 100
    except ValueError:
        if (year, month) > (today.year, today.month):
            year -= 100
    return year - 100 if plus else year


def format_12(canonical: str) -> str:
    """YYYYMMDD-NNNC, the form people read."""
    return f"{canonical[:8]}-{canonical[8:]}"
