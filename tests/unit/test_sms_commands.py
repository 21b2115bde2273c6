"""The SMS commands an employee can send, and what the line answers."""

from datetime import date

import pytest

from schemas.reports import AbsenceType
from services.intake import domain
from services.intake.sms_commands import (
    Help,
    NotUnderstood,
    OptIn,
    OptOut,
    Sick,
    Well,
    help_text,
    parse_sms,
    rejected_text,
    sick_registered_text,
    unknown_number_text,
)

TODAY = date(2026, 11, 22)
LINE = "+46101234567"


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("SJUK", Sick(AbsenceType.SICK)),
        ("  sjuk ", Sick(AbsenceType.SICK)),
        ("Sjuk vab", Sick(AbsenceType.VAB)),
        ("VAB", Sick(AbsenceType.VAB)),
        ("SJUK 24/11", Sick(AbsenceType.SICK, date(2026, 11, 24))),
        ("sjuk vab 1/12", Sick(AbsenceType.VAB, date(2026, 12, 1))),
        ("SJUK 3/1", Sick(AbsenceType.SICK, date(2027, 1, 3))),  # next year's 3 January
        ("FRISK", Well()),
        ("frisk", Well()),
        ("HJÄLP", Help()),
        ("hjalp", Help()),
        ("STOP", OptOut()),
        ("start", OptIn()),
    ],
)
def test_commands_are_read_whatever_the_case_and_spacing(text, command):
    assert parse_sms(text, today=TODAY) == command


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hej",
        "SJUK i morgon",
        "SJUK 31/2",
        "SJUK 22/11",
        "SJUK 20/11",
        "SJUK 1/12 2/12",
        "SJUK 13/13",
    ],
)
def test_anything_else_is_not_understood_and_registers_nothing(text):
    assert isinstance(parse_sms(text, today=TODAY), NotUnderstood)


def test_a_past_or_impossible_return_date_says_how_to_write_one():
    command = parse_sms("SJUK 31/2", today=TODAY)
    assert isinstance(command, NotUnderstood)
    assert "24/11" in command.why


def test_the_confirmation_names_the_kind_of_absence_and_the_return_date():
    assert "sjukanmälan från 22/11" in sick_registered_text(Sick(AbsenceType.SICK), TODAY)
    vab = sick_registered_text(Sick(AbsenceType.VAB, date(2026, 11, 24)), TODAY)
    assert "vård av sjukt barn" in vab
    assert "åter 24/11" in vab


def test_help_and_unknown_number_replies_give_the_line_to_call():
    assert LINE in help_text(LINE)
    assert "SJUK VAB" in help_text(LINE)
    unknown = unknown_number_text(LINE)
    assert LINE in unknown
    assert "inget har registrerats" in unknown


def test_rejections_tell_the_employee_what_to_do_next():
    conflict = domain.SpellConflict("open", spell_id="s-1")
    assert "redan en pågående" in rejected_text(Sick(AbsenceType.SICK), conflict, LINE)
    assert "ingen pågående" in rejected_text(Well(), conflict, LINE)
    other = domain.ReportRejected("nope")
    assert LINE in rejected_text(Sick(AbsenceType.SICK), other, LINE)
