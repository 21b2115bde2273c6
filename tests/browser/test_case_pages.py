"""The case pages in headless Chromium against a real cases service: a SQLite database, the
embedded broker, and a case opened by a TriggerFired published to halsosupport.triggers.v1 and
consumed as in production. The manager finds the case in "Mina ärenden" (by the employee's name
once the directory gives it), books and documents the omtankesamtal, saves an action plan, gives
and revokes a consent and records what was shared under it; HR of the department is told who
documents the conversation instead of getting its form; HR of another department is refused in
Swedish; the monthly figures count the case as offered. What is asserted is what a user sees."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from halsosupport.auth import Role, issue_token
from schemas.directory import DepartmentUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.envelope import Channel, OrgRef, Source
from schemas.triggers import TriggerFired
from services.cases.adapters.tables import Workplace
from services.cases.bootstrap import bootstrap
from services.cases.entrypoints.api import create_app
from services.cases.settings import CasesSettings
from tests.browser.conftest import _serve, swedish_tab
from tests.support import FixedClock, eventually, omtankesamtal_fired, publish, random_id

pytestmark = pytest.mark.parametrize("database", ["sqlite"], indirect=True)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Sweden


@dataclass
class Service:
    """The running cases service as the browser reaches it, and the people on its case."""

    base_url: str
    settings: CasesSettings
    manager: str
    department: str
    workplace: str
    employee: str
    late_employee: str
    case_id: str

    def token(self, role: Role, subject: str, departments: list[str] | None = None) -> str:
        return issue_token(self.settings, subject=subject, role=role, departments=departments)

    @property
    def manager_token(self) -> str:
        return self.token(Role.MANAGER, self.manager)

    def name_employee(self, employee: str, name: str) -> None:
        """The directory names the employee; returns once the API answers with the name."""
        org = OrgRef(workplace_id=self.workplace, department_id=self.department)
        publish(
            self.settings.kafka_bootstrap_servers,
            EmployeeUpserted(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                source=Source(channel=Channel.IMPORT),
                employee_id=employee,
                org=org,
                name=name,
            ),
        )
        headers = {"Authorization": f"Bearer {self.manager_token}"}
        with httpx.Client(base_url=self.base_url, headers=headers) as client:
            eventually(lambda: name in {c["employee_name"] for c in client.get("/v1/cases").json()})


def _trigger(employee: str, org: OrgRef, due_on: date) -> TriggerFired:
    return omtankesamtal_fired(
        employee,
        org,
        NOW,
        window_start=date(2025, 3, 2),
        window_end=date(2026, 2, 20),
        due_on=due_on,
    )


@pytest.fixture
def service(database, kafka_bootstrap) -> Iterator[Service]:
    """The cases app over TCP; its consumer reads only what is published from now on."""
    settings = CasesSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        cases_group_id=random_id("cases-browser"),
        cases_reminder_interval_s=3600,
        cases_outbox_poll_interval_s=0.1,
    )
    runtime = bootstrap(settings, clock=FixedClock(NOW))
    server, thread, port = _serve(create_app(settings, runtime))
    try:
        base_url = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base_url) as client:
            eventually(lambda: client.get("/healthz").json()["consumer"]["assigned_partitions"])
        manager, department = random_id("chef"), random_id("d")
        workplace, employee, late = random_id("w"), random_id("e"), random_id("e")
        at = {"occurred_at": NOW, "source": Source(channel=Channel.IMPORT)}
        publish(
            kafka_bootstrap,
            DepartmentUpserted(
                event_id=uuid.uuid4(), department_id=department, name="Välfärd", **at
            ),
            WorkplaceUpserted(
                event_id=uuid.uuid4(),
                workplace_id=workplace,
                name="Solbacken",
                department_id=department,
                manager_id=manager,
                **at,
            ),
        )

        def directory_known() -> bool:
            with runtime.uow() as uow:
                return uow.session.get(Workplace, workplace) is not None

        eventually(directory_known)
        org = OrgRef(workplace_id=workplace, department_id=department, manager_id=manager)
        fired = _trigger(employee, org, due_on=date(2026, 3, 16))
        publish(kafka_bootstrap, fired, _trigger(late, org, due_on=date(2026, 2, 27)))
        running = Service(
            base_url, settings, manager, department, workplace, employee, late, case_id=""
        )
        headers = {"Authorization": f"Bearer {running.manager_token}"}
        with httpx.Client(base_url=base_url, headers=headers) as client:
            cases = eventually(
                lambda: (found := client.get("/v1/cases").json()) and len(found) == 2 and found
            )
        running.case_id = next(c["case_id"] for c in cases if c["trigger_id"] == fired.trigger_id)
        yield running
    finally:
        server.should_exit = True
        thread.join(timeout=15)


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    """A fresh tab in Swedish time whose clock shows the server's moment."""
    with swedish_tab(browser, NOW, width=1280) as page:
        yield page


def _status(page: Page) -> object:
    return page.locator("#case-status")


def test_the_manager_follows_the_case_from_the_list_to_a_plan_and_a_consent(service, tab):
    tab.goto(f"{service.base_url}/cases#token={service.manager_token}")
    expect(tab.get_by_role("heading", name="Mina ärenden")).to_be_visible()
    rows = tab.locator("#cases-body tr")
    expect(rows).to_have_count(2)
    mine = tab.locator("#cases-body tr", has_text=service.employee)
    expect(mine).to_contain_text("Omtankesamtal")
    expect(mine).to_contain_text("öppet")
    expect(mine).to_contain_text("2026-03-16")
    expect(mine).to_contain_text("chefen")
    expect(mine).not_to_contain_text("försenat")
    late = tab.locator("#cases-body tr", has_text=service.late_employee)
    expect(late).to_contain_text("2026-02-27 försenat")

    mine.get_by_role("link", name=service.employee).click()
    expect(
        tab.get_by_role("heading", name=f"Ärende: Omtankesamtal för {service.employee}")
    ).to_be_visible()
    expect(_status(tab)).to_have_text("öppet")
    expect(tab.locator("#history")).to_contain_text("Ärendet öppnades")
    # Only the steps an open case allows.
    expect(tab.get_by_role("heading", name="Boka samtal")).to_be_visible()
    expect(tab.get_by_role("heading", name="Dokumentera omtankesamtal")).to_be_visible()
    expect(tab.get_by_role("heading", name="Handlingsplan", exact=True)).to_be_hidden()
    expect(tab.get_by_role("heading", name="Avsluta ärendet")).to_be_hidden()

    booking = tab.locator("#booking-form")
    booking.get_by_label("Tid för samtalet").fill("2026-03-05T10:00")
    booking.get_by_role("button", name="Boka samtal").click()
    expect(booking).to_contain_text("Bokningen: sparat.")
    expect(_status(tab)).to_have_text("samtal bokat")
    expect(tab.locator("#case-booked")).to_have_text("2026-03-05 kl. 10:00")

    talk = tab.locator("#conversation-form")
    talk.get_by_label("Samtalet hölls").fill("2026-03-05")
    talk.get_by_label("Närvarande").fill("medarbetaren\nchefen")
    talk.get_by_label("Hur har du det?").fill("trött efter många kvällspass")
    talk.get_by_label("Balans – krav och resurser").fill("för många pass i rad")
    talk.get_by_label("Vad hindrar?").fill("schemat")
    talk.get_by_label("Vad möjliggör?").fill("anpassade pass")
    talk.get_by_label("Vad ska chef göra till nästa gång?").fill("ser över schemat")
    talk.get_by_label("Vad ska medarbetare göra till nästa gång?").fill("bokar hälsosamtal")
    talk.get_by_label("Insatser/åtgärder").fill("hälsosamtal på företagshälsan")
    talk.get_by_label("Uppföljning datum").fill("2026-04-02")
    talk.get_by_role("button", name="Spara omtankesamtal").click()
    expect(talk).to_contain_text("Omtankesamtal: sparat.")
    expect(_status(tab)).to_have_text("samtal hållet")
    expect(tab.locator("#history")).to_contain_text("Omtankesamtal hållet och dokumenterat")
    tab.get_by_text(f"Omtankesamtal 2026-03-05 ({service.manager})").click()
    expect(tab.locator("#conversations-shown")).to_contain_text("för många pass i rad")
    expect(tab.get_by_role("heading", name="Boka samtal")).to_be_hidden()

    plan = tab.locator("#plan-form")
    expect(plan).to_be_visible()
    plan.get_by_label("Beräknat slutdatum").fill("2026-04-27")
    plan.locator("#p-goal-text").fill("tillbaka på 100 % inom 8 veckor")
    plan.locator('[name="activities.0.description"]').fill("hälsosamtal på företagshälsan")
    plan.locator('[name="activities.0.owner_id"]').fill(service.manager)
    plan.locator('[name="activities.0.due_on"]').fill("2026-03-20")
    plan.locator('[name="follow_ups.0.on"]').fill("2026-03-30")
    plan.get_by_role("button", name="Spara handlingsplanen").click()
    # The goal has no date: the API's 422, named by the form's own label.
    expect(plan).to_contain_text(
        "Handlingsplanen: uppgifterna godtogs inte – Mål uppnått senast måste fyllas i"
    )
    expect(_status(tab)).to_have_text("samtal hållet")
    plan.get_by_label("Mål uppnått senast").fill("2026-04-27")
    plan.get_by_role("button", name="Lägg till delmål").click()
    plan.locator('[name="sub_goals.0.text"]').fill("tillbaka på 50 % inom 4 veckor")
    plan.locator('[name="sub_goals.0.due_on"]').fill("2026-03-30")
    plan.get_by_role("button", name="Spara handlingsplanen").click()
    expect(plan).to_contain_text("Handlingsplanen: sparat.")
    expect(_status(tab)).to_have_text("handlingsplan pågår")
    expect(tab.locator("#plan-goal")).to_have_text(
        "Mål: tillbaka på 100 % inom 8 veckor (senast 2026-04-27)"
    )
    expect(tab.locator("#plan-sub-goals")).to_contain_text(
        "Delmål: tillbaka på 50 % inom 4 veckor (senast 2026-03-30)"
    )
    expect(tab.locator("#plan-activities")).to_contain_text(
        f"hälsosamtal på företagshälsan – ansvarig {service.manager}, 2026-03-20"
    )

    consent = tab.locator("#consent-form")
    consent.get_by_label("Part", exact=True).select_option(label="Försäkringskassan")
    consent.get_by_role("button", name="Registrera samtycke").click()
    expect(consent).to_contain_text("Samtycket: sparat.")
    given = tab.locator("#consents-body tr", has_text="Försäkringskassan")
    expect(given).to_contain_text("2026-03-02")
    expect(given).to_contain_text("till och med 2027-03-01")
    given.get_by_role("button", name="Återkalla samtycket för Försäkringskassan").click()
    expect(tab.locator("#consent-message")).to_have_text(
        "Samtycket för Försäkringskassan är återkallat."
    )
    expect(given).to_contain_text("återkallat 2026-03-02")
    expect(given.get_by_role("button")).to_have_count(0)
    expect(tab.locator("#history")).to_contain_text("Samtycke återkallat: Försäkringskassan")
    # A consent longer than a year: the API's 422 in Swedish, beside the form.
    consent.get_by_label("Gäller till och med (valfritt)").fill("2027-06-01")
    consent.get_by_role("button", name="Registrera samtycke").click()
    expect(consent).to_contain_text(
        "Samtycket: uppgifterna godtogs inte – ett samtycke gäller högst ett år, "
        "till och med 2027-03-01"
    )


def test_the_manager_finds_the_employee_by_name(service, tab):
    service.name_employee(service.employee, "Anna Andersson")
    tab.goto(f"{service.base_url}/cases#token={service.manager_token}")
    mine = tab.locator("#cases-body tr", has_text="Anna Andersson")
    expect(mine).to_contain_text("Omtankesamtal")
    expect(mine).not_to_contain_text(service.employee)
    # The directory has not named the other employee yet: the id stands in.
    expect(tab.locator("#cases-body tr", has_text=service.late_employee)).to_have_count(1)

    mine.get_by_role("link", name="Anna Andersson").click()
    expect(
        tab.get_by_role("heading", name="Ärende: Omtankesamtal för Anna Andersson")
    ).to_be_visible()
    expect(tab.locator("#case-employee")).to_have_text("Anna Andersson")


def test_hr_of_the_department_is_told_who_documents_the_conversation(service, tab):
    token = service.token(Role.HR, "hr-valfard", departments=[service.department])
    tab.goto(f"{service.base_url}/cases/case?id={service.case_id}#token={token}")
    expect(_status(tab)).to_have_text("öppet")
    step = tab.locator("#step-conversation")
    expect(step.get_by_role("heading", name="Omtankesamtal", exact=True)).to_be_visible()
    expect(step.get_by_text("Omtankesamtalet dokumenteras av chefen.")).to_be_visible()
    expect(tab.locator("#conversation-form")).to_be_hidden()
    expect(tab.get_by_role("button", name="Spara omtankesamtal")).to_be_hidden()
    expect(tab.get_by_role("heading", name="Dokumentera omtankesamtal")).to_be_hidden()
    expect(tab.get_by_role("heading", name="Boka samtal")).to_be_visible()  # HR may book


def test_the_manager_records_a_sharing_under_a_consent(service, tab):
    tab.goto(f"{service.base_url}/cases/case?id={service.case_id}#token={service.manager_token}")
    section = tab.locator("#step-sharing")
    expect(section.get_by_role("heading", name="Delning med extern part")).to_be_visible()
    expect(section.get_by_text("Inget har delats.")).to_be_visible()
    expect(section.get_by_text("Inget samtycke är registrerat")).to_be_visible()
    sharing = tab.locator("#sharing-form")
    expect(sharing).to_be_hidden()

    consent = tab.locator("#consent-form")
    consent.get_by_label("Part", exact=True).select_option(label="Försäkringskassan")
    consent.get_by_role("button", name="Registrera samtycke").click()
    expect(consent).to_contain_text("Samtycket: sparat.")
    expect(sharing).to_be_visible()
    expect(sharing.get_by_label("Part", exact=True)).to_have_value("forsakringskassan")
    expect(sharing.get_by_label("Delat den")).to_have_value("2026-03-02")
    sharing.get_by_label("Vad som delades").fill("arbetsförmåga och planerade anpassningar")
    sharing.get_by_role("button", name="Registrera delning").click()
    expect(sharing).to_contain_text("Delningen: sparat.")
    shared = tab.locator("#sharings-body tr", has_text="Försäkringskassan")
    expect(shared).to_contain_text("2026-03-02")
    expect(shared).to_contain_text("arbetsförmåga och planerade anpassningar")
    expect(shared).to_contain_text(service.manager)
    expect(section.get_by_text("Inget har delats.")).to_be_hidden()
    expect(tab.locator("#history")).to_contain_text("Uppgifter delade med Försäkringskassan")

    # Once the consent is revoked, the API refuses the sharing; the page says why.
    given = tab.locator("#consents-body tr", has_text="Försäkringskassan")
    given.get_by_role("button", name="Återkalla samtycket för Försäkringskassan").click()
    expect(given).to_contain_text("återkallat 2026-03-02")
    sharing.get_by_label("Vad som delades").fill("läkarintyget")
    sharing.get_by_role("button", name="Registrera delning").click()
    expect(sharing).to_contain_text(
        "Delningen: det går inte i ärendets nuvarande läge – medarbetaren har inget giltigt "
        "samtycke till delning med Försäkringskassan den 2026-03-02"
    )
    expect(tab.locator("#sharings-body tr")).to_have_count(1)


def test_hr_of_another_department_is_refused_in_swedish(service, tab):
    token = service.token(Role.HR, "hr-elsewhere", departments=["d-elsewhere"])
    tab.goto(f"{service.base_url}/cases/case?id={service.case_id}#token={token}")
    expect(tab.locator("#global-message")).to_have_text(
        "Kunde inte hämta ärendet: du har inte behörighet – du är inte med i ärendet"
    )
    expect(tab.locator("#case-body")).to_be_hidden()
    expect(tab.get_by_role("heading", name="Boka samtal")).to_be_hidden()
    tab.get_by_role("link", name="Mina ärenden").click()
    expect(tab.locator("#cases-empty")).to_have_text("Du har inga ärenden.")


def test_a_step_out_of_turn_shows_the_apis_refusal(service, tab):
    url = f"{service.base_url}/cases/case?id={service.case_id}#token={service.manager_token}"
    stale = tab.context.new_page()  # opened first, not reloaded after the decline
    stale.goto(url)
    expect(_status(stale)).to_have_text("öppet")
    tab.goto(url)
    expect(_status(tab)).to_have_text("öppet")
    decline = tab.locator("#decline-form")
    decline.get_by_label("Orsak").select_option(label="Inget behov")
    decline.get_by_role("button", name="Registrera avböjt stöd").click()
    expect(_status(tab)).to_have_text("stöd avböjt")
    expect(tab.locator("#history")).to_contain_text("Stöd avböjt: Inget behov")
    for heading in (
        "Boka samtal",
        "Dokumentera omtankesamtal",
        "Avböjt stöd",
        "Samtycke",
        "Delning med extern part",
    ):
        expect(tab.get_by_role("heading", name=heading, exact=True)).to_be_hidden()
    # The stale tab still offers to book: the API's 409, in Swedish, beside the form.
    stale.get_by_label("Tid för samtalet").fill("2026-03-05T10:00")
    stale.get_by_role("button", name="Boka samtal").click()
    expect(stale.locator("#booking-form")).to_contain_text(
        "Bokningen: det går inte i ärendets nuvarande läge – ärendet är stöd avböjt och kan "
        "inte bli samtal bokat"
    )


def test_the_monthly_figures_count_the_case_as_offered(service, tab):
    tab.goto(f"{service.base_url}/cases/figures#token={service.manager_token}")
    expect(tab.get_by_role("heading", name="Uppföljning per månad")).to_be_visible()
    offered = tab.locator('#figures-body tr[data-row="offered"]')
    expect(offered.locator('[data-period="since_start"][data-field="offered"]')).to_have_text("2")
    expect(offered.locator('[data-field="offered_share"]').first).to_have_text("100 %")
    expect(offered.locator('[data-period="last_month"][data-field="offered"]')).to_have_text("0")
    expect(tab.locator("#figures-caption")).to_contain_text(
        "senaste månaden 2026-02-01 – 2026-02-28"
    )
    declined = tab.locator('#figures-body tr[data-row="declined"]')
    expect(declined.locator('[data-period="since_start"][data-field="declined"]')).to_have_text("0")
