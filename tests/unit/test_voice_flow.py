"""The phone bot's menu: keys and Swedish words, read-back and confirmation."""

from datetime import date

import pytest

from services.intake.voice_flow import (
    Choice,
    confirmed,
    menu_choice,
    read_back,
    registered,
    rejected,
    spoken_date,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("digits", "speech", "choice"),
    [
        ("1", None, Choice.SICK),
        ("2", None, Choice.WELL),
        ("3", None, Choice.VAB),
        ("0", None, Choice.NURSE),
        (None, "Sjuk.", Choice.SICK),
        (None, "jag är frisk", Choice.WELL),
        (None, "vård av barn", Choice.VAB),
        (None, "Jag vill prata med en sjuksköterska", Choice.NURSE),
        ("3", "sjuk", Choice.VAB),  # a key press wins over speech
    ],
)
def test_menu_understands_keys_and_swedish_words(digits, speech, choice):
    assert menu_choice(digits, speech) is choice


@pytest.mark.parametrize(
    ("digits", "speech"), [("9", None), ("*", None), (None, "hallå"), (None, None)]
)
def test_anything_else_in_the_menu_is_asked_again(digits, speech):
    assert menu_choice(digits, speech) is None


@pytest.mark.parametrize(
    ("digits", "speech", "answer"),
    [
        ("1", None, True),
        ("2", None, False),
        (None, "Ja.", True),
        (None, "ja tack", True),
        (None, "nej", False),
        (None, "avbryt", False),
        ("5", None, None),
        (None, "kanske", None),
    ],
)
def test_confirmation_is_yes_no_or_not_understood(digits, speech, answer):
    assert confirmed(digits, speech) is answer


def test_read_back_says_what_will_be_registered_and_from_when():
    assert spoken_date(TODAY) == "den 22 november"
    sick = read_back(Choice.SICK, today=TODAY).text
    assert "sjukanmäler" in sick and "den 22 november" in sick and "Tryck 1" in sick
    assert "vård av sjukt barn" in read_back(Choice.VAB, today=TODAY).text
    well = read_back(Choice.WELL, today=TODAY, well_from=date(2026, 11, 23)).text
    assert "friskanmäler" in well and "den 23 november" in well


def test_outcomes_are_spoken_in_swedish():
    assert "friskanmälan är registrerad" in registered(Choice.WELL)
    assert "chef får besked" in registered(Choice.SICK)
    assert "ingen pågående" in rejected(Choice.WELL, conflict=True)
    assert "redan en pågående" in rejected(Choice.SICK, conflict=True)


def test_a_caller_who_is_sick_but_asks_for_a_nurse_gets_the_nurse():
    assert menu_choice(None, "jag är sjuk men vill prata med en sköterska") is Choice.NURSE
