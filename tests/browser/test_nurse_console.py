"""The nurse console in headless Chromium against a real intake and broker: what a nurse does
on a call must work from the keyboard, reach Kafka, and say plainly when it was refused."""

import re
from datetime import date

import pytest
from playwright.sync_api import Locator, Page, expect

from halsosupport.auth import Role, issue_token
from schemas.reports import ReasonVisibility, SickReported, WellReported
from schemas.topics import REPORTS
from tests.browser.conftest import SCREENSHOTS, Console
from tests.support import events_on, eventually

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

SPELL_ID = re.compile(r"Period-id: ([0-9a-f-]{36})")


def find_and_open(page: Page, name: str) -> None:
    """Search as a nurse on the phone would: type, Enter, arrow down to the hit, Enter."""
    search = page.get_by_label("Namn, personnummer eller telefonnummer")
    expect(search).to_be_focused()
    page.keyboard.type(name)
    page.keyboard.press("Enter")
    hit = page.locator("#search-results").get_by_role("button", name=re.compile(name))
    expect(hit).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(hit).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=name, level=2)).to_be_focused()


def sick_form(page: Page) -> Locator:
    return page.get_by_role("form", name="Sjukanmälan")


def register_sick(page: Page, reason: str, *, double_click: bool = False) -> str:
    """Fill in the reason, keep the defaults, submit with Enter (or an impatient double
    click); the new spell's id."""
    form = sick_form(page)
    form.get_by_label("Orsak", exact=True).select_option(label=reason)
    form.get_by_label("Ja, delas med chefen").check()
    if double_click:
        form.get_by_role("button", name="Registrera sjukanmälan").dblclick()
    else:
        form.get_by_label("Omfattning (%)").press("Enter")
    message = page.locator("#employee-message")
    expect(message).to_contain_text("Sjukanmälan registrerad")
    found = SPELL_ID.search(message.inner_text())
    assert found, message.inner_text()
    return found.group(1)


def reported(kafka_bootstrap: str, employee_id: str, kind: type, spell_id: str) -> object:
    def check() -> object:
        events = events_on(kafka_bootstrap, REPORTS, employee_id)
        return next((e for e in events if isinstance(e, kind) and e.spell_id == spell_id), None)

    return eventually(check)


def test_a_nurse_registers_a_sick_call_its_follow_up_and_the_well_report(
    page: Page, console: Console, kafka_bootstrap: str
):
    page.goto(console.url)
    expect(page).to_have_url(f"{console.base_url}/console")  # the token left the address bar
    find_and_open(page, "Anna Andersson")
    state = page.locator("#spell-state")
    expect(state).to_have_text("Ingen pågående frånvaro")
    form = sick_form(page)
    expect(form.get_by_label("Sjuk från och med")).to_have_value("2026-11-22")
    expect(form.get_by_label("Uppföljningssamtal")).to_have_value("2026-11-24")  # day 3
    expect(form.get_by_label("Omfattning (%)")).to_have_value("100")
    expect(form.get_by_label("Sjuk", exact=True)).to_be_checked()

    spell_id = register_sick(page, "Luftvägsinfektion")
    anna = console.employees["Anna Andersson"]
    sick = reported(kafka_bootstrap, anna, SickReported, spell_id)
    assert sick.sick_from == date(2026, 11, 22) and sick.degree_percent == 100
    assert sick.reason_category == "respiratory_infection"
    assert sick.reason_visibility is ReasonVisibility.SHARED
    expect(state).to_have_text("Pågående sjukfrånvaro sedan 2026-11-22 (100 %)")
    expect(page.locator(f'tr[data-spell-id="{spell_id}"]')).to_contain_text("Pågår")

    # Day 3: the call-back is on today's list and its outcome is recorded from the keyboard.
    console.clock.advance(days=2)
    page.clock.set_fixed_time(console.clock.now())
    page.get_by_role("button", name="Uppdatera").press("Enter")
    outcome = page.get_by_label("Utfall för Anna Andersson")
    outcome.fill("Mår bättre, räknar med att vara tillbaka på onsdag")
    outcome.press("Enter")
    call = page.locator(f'li.followup[data-spell-id="{spell_id}"]')
    expect(call).to_contain_text("Utfallet är sparat.")
    expect(call).to_contain_text("Klart 09:30")  # 08:30 UTC, in Swedish time
    expect(page.locator("#followups-summary")).to_have_text("1 samtal i dag, 1 klara.")

    well_form = page.get_by_role("form", name="Friskanmälan")
    expect(well_form.get_by_label("Frisk från och med")).to_have_value("2026-11-24")
    well_form.get_by_role("button", name="Registrera friskanmälan").press("Enter")
    expect(page.locator("#employee-message")).to_contain_text("Friskanmälan registrerad")
    expect(state).to_have_text("Ingen pågående frånvaro")
    row = page.locator(f'tr[data-spell-id="{spell_id}"]')
    expect(row).to_contain_text("Avslutad")
    expect(row).to_contain_text("2026-11-24")
    well = reported(kafka_bootstrap, anna, WellReported, spell_id)
    assert well.well_from == date(2026, 11, 24)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "nurse-console.png", full_page=True)


def test_a_refused_report_reads_plainly_and_a_spell_can_be_corrected_and_retracted(
    page: Page, console: Console, kafka_bootstrap: str
):
    page.goto(console.url)
    find_and_open(page, "Bertil Berg")
    spell_id = register_sick(page, "Mag- och tarmbesvär", double_click=True)
    bertil = console.employees["Bertil Berg"]
    reported(kafka_bootstrap, bertil, SickReported, spell_id)
    expect(page.locator("#spells-body tr")).to_have_count(1)
    expect(page.locator("#employee-message")).not_to_contain_text("Kunde inte")
    with console.api() as api:
        assert len(api.get(f"/v1/employees/{bertil}/spells").json()) == 1

    page.get_by_role("button", name="Registrera sjukanmälan").press("Enter")
    message = page.locator("#employee-message")
    expect(message).to_contain_text(
        "Kunde inte registrera sjukanmälan: krockar med en befintlig period"
    )
    expect(message).to_contain_text("is still open")
    expect(message).to_have_class(re.compile("error"))

    page.get_by_role("button", name="Rätta perioden från 2026-11-22").press("Enter")
    dialog = page.get_by_role("dialog", name="Rätta perioden från 2026-11-22")
    dialog.get_by_label("Omfattning (%)").fill("50")
    dialog.get_by_label("Varför rättas perioden?").fill("Arbetar halvtid enligt samtal")
    dialog.get_by_label("Varför rättas perioden?").press("Enter")
    expect(dialog).to_be_hidden()
    expect(message).to_contain_text("Rättelsen av perioden från 2026-11-22 är sparad.")
    expect(page.locator("#spell-state")).to_contain_text("(50 %)")

    page.get_by_role("button", name="Återkalla perioden från 2026-11-22").press("Enter")
    dialog = page.get_by_role("dialog", name="Återkalla period")
    dialog.get_by_label("Varför återkallas perioden?").fill("Fel person")
    dialog.get_by_label("Varför återkallas perioden?").press("Enter")
    expect(message).to_contain_text("är återkallad")
    expect(page.locator(f'tr[data-spell-id="{spell_id}"]')).to_contain_text("Återkallad")
    expect(page.locator("#spell-state")).to_have_text("Ingen pågående frånvaro")


def test_without_a_token_the_page_asks_for_one_and_says_why_a_wrong_one_fails(
    page: Page, console: Console
):
    page.goto(f"{console.base_url}/console")
    token_field = page.get_by_label("Inloggningsnyckel (token)")
    expect(token_field).to_be_focused()
    manager = issue_token(console.settings, subject="chef-1", role=Role.MANAGER)
    token_field.fill(manager)
    token_field.press("Enter")
    expect(page.locator("#global-message")).to_contain_text(
        "Kunde inte logga in: behörighet saknas – role 'manager' may not do this"
    )
    expect(token_field).to_be_focused()

    token_field.fill(console.token)
    token_field.press("Enter")
    expect(page.get_by_label("Namn, personnummer eller telefonnummer")).to_be_focused()
    expect(page.locator("#followups-summary")).to_have_text("Inga uppföljningssamtal i dag.")
    find_and_open(page, "Anna Andersson")
    page.get_by_role("button", name="Logga ut").click()
    expect(token_field).to_be_focused()
    assert page.evaluate("sessionStorage.length") == 0
    expect(page.get_by_text("Anna Andersson")).to_have_count(0)  # nothing left for the next shift
