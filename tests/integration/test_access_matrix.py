"""Every endpoint of every HTTP service against every kind of caller: who gets in, who does not.

The expected table names every route; a new route without an entry fails the test, so no one
adds an endpoint without deciding who may call it. Allowed means the gate let the request
through (any answer but 401/403, and never a 5xx: an empty body may well get 422); denied means
401 without a token and 403 with the wrong one. Twilio's webhooks are authenticated by
Twilio's signature, not by tokens: unsigned, they refuse everyone. The static pages (console,
dashboards, case pages, shared assets) carry no data and are public; health pages are public too.
"""

import uuid
from collections.abc import Iterable, Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from halsosupport.auth import Role, issue_token
from halsosupport.consumer import Consumed
from halsosupport.settings import CommonSettings
from schemas.directory import ContactRole, ContactUpserted
from schemas.envelope import Channel, OrgRef, Source
from schemas.triggers import RecipientRole
from services.cases import handlers as cases_handlers
from services.cases.bootstrap import bootstrap as cases_bootstrap
from services.cases.entrypoints.api import create_app as cases_app
from services.cases.settings import CasesSettings
from services.notifier.entrypoints.api import create_app as notifier_app
from services.notifier.settings import NotifierSettings
from services.stats.bootstrap import bootstrap as stats_bootstrap
from services.stats.entrypoints.api import create_app as stats_app
from services.stats.settings import StatsSettings
from tests.integration.conftest import NOW, TWILIO_AUTH_TOKEN, Intake, start_intake
from tests.support import FixedClock, omtankesamtal_fired, random_id

OWN_DEPARTMENT = "d-welfare"  # Anna's, in tests/integration/org.py
CALLERS = (
    "nurse",
    "manager-own",  # Maja Chef, manager of Anna's workplace in the directory
    "manager-other",  # Hanna Personal, manager of another workplace
    "hr-own",  # HR whose departments claim holds Anna's department
    "hr-other",
    "rehab",
    "crisis",
    "admin",
    "none",  # no token at all
)
TOKENS = frozenset(CALLERS) - {"none"}
PUBLIC = "public"  # no data: anyone, with or without a token
SIGNED = "twilio-signature"  # a token neither helps nor is needed: the signature decides
NURSE = frozenset({"nurse"})
ADMIN = frozenset({"admin"})
AGGREGATES = frozenset({"crisis", "admin", "hr-own", "hr-other", "manager-own", "manager-other"})

INTAKE: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("POST", "/v1/reports/sick"): NURSE,
    ("POST", "/v1/reports/well"): NURSE,
    ("POST", "/v1/spells/{spell_id}/correct"): NURSE,
    ("POST", "/v1/spells/{spell_id}/retract"): NURSE,
    ("POST", "/v1/spells/{spell_id}/followup"): NURSE,
    ("GET", "/v1/employees"): NURSE | ADMIN,
    ("GET", "/v1/employees/{employee_id}/spells"): NURSE | {"manager-own", "hr-own"},
    ("GET", "/v1/followups"): NURSE,
    ("GET", "/v1/reason-categories"): NURSE,
    ("POST", "/v1/directory/import"): ADMIN,
    ("GET", "/v1/audit"): ADMIN,
    ("POST", "/v1/erasures"): ADMIN,
    ("PUT", "/v1/employees/{employee_id}/exemptions/{rule_id}"): ADMIN | {"hr-own"},
    ("DELETE", "/v1/employees/{employee_id}/exemptions/{rule_id}"): ADMIN | {"hr-own"},
    ("GET", "/v1/employees/{employee_id}/exemptions"): ADMIN | {"hr-own"},
    ("POST", "/v1/twilio/sms"): SIGNED,
    ("POST", "/v1/twilio/voice"): SIGNED,
    ("POST", "/v1/twilio/voice/identify"): SIGNED,
    ("POST", "/v1/twilio/voice/menu"): SIGNED,
    ("POST", "/v1/twilio/voice/confirm"): SIGNED,
    ("GET", "/static/common/{name}"): PUBLIC,
    ("GET", "/console"): PUBLIC,
    ("GET", "/console/"): PUBLIC,
    ("GET", "/console/{name}"): PUBLIC,
}
STATS: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/healthz"): PUBLIC,
    **{
        ("GET", f"/v1/stats/{figure}"): AGGREGATES
        for figure in (
            "today",
            "daily",
            "data-quality",
            "follow-up",
            "repeated-absence",
            "length",
            "net-days",
            "key-figures",
            "cost",
        )
    },
    # Each manager gets their own staff, found in the directory by the token's subject.
    ("GET", "/v1/manager/team"): frozenset({"manager-own", "manager-other"}),
    ("GET", "/static/common/{name}"): PUBLIC,
    ("GET", "/dashboard"): PUBLIC,
    ("GET", "/dashboard/"): PUBLIC,
    ("GET", "/dashboard/manager"): PUBLIC,
    ("GET", "/dashboard/manager/"): PUBLIC,
    ("GET", "/dashboard/vendor/{name}"): PUBLIC,
    ("GET", "/dashboard/{name}"): PUBLIC,
}
NOTIFIER: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/v1/messages/failed"): ADMIN,
    ("GET", "/v1/preferences/me"): TOKENS,  # everyone's own, and only their own
    ("PUT", "/v1/preferences/me"): TOKENS,
    ("POST", "/v1/twilio/status"): SIGNED,
}
# A case's documentation: the manager, HR and rehab coordinator on the case, no one else.
CASE_ROLES = frozenset({"manager-own", "manager-other", "hr-own", "hr-other", "rehab"})
ON_CASE = frozenset({"manager-own", "hr-own", "rehab"})
CASES: dict[tuple[str, str], frozenset[str] | str] = {
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/v1/cases"): CASE_ROLES,  # each their own cases
    ("GET", "/v1/cases/figures"): CASE_ROLES | ADMIN,  # counts over each one's own cases
    ("GET", "/v1/note-headings"): CASE_ROLES,
    ("GET", "/v1/cases/{case_id}"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/booking"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/conversations"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/notes"): ON_CASE,
    ("PUT", "/v1/cases/{case_id}/plan"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/consents"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/consents/{consent_id}/revoke"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/sharings"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/decline"): ON_CASE,
    ("POST", "/v1/cases/{case_id}/close"): ON_CASE,
    ("GET", "/static/common/{name}"): PUBLIC,
    ("GET", "/cases"): PUBLIC,  # the case pages: no data, the API behind them decides
    ("GET", "/cases/"): PUBLIC,
    ("GET", "/cases/case"): PUBLIC,
    ("GET", "/cases/case/"): PUBLIC,
    ("GET", "/cases/figures"): PUBLIC,
    ("GET", "/cases/figures/"): PUBLIC,
    ("GET", "/cases/{name}"): PUBLIC,
}
FILES = {  # a real file for each static route's {name}
    "/static/common/{name}": "base.css",
    "/console/{name}": "console.js",
    "/dashboard/{name}": "dashboard.js",
    "/dashboard/vendor/{name}": "uPlot.min.css",
    "/cases/{name}": "case.js",
}


def endpoints(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every APIRoute, including those of included routers."""

    def walk(routes: Iterable[object]) -> Iterator[tuple[object, set[str], str]]:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):  # FastAPI ≥ 0.120 keeps includes
                for context in route.effective_route_contexts():
                    yield context.original_route, context.methods or set(), context.path
            else:
                yield route, getattr(route, "methods", None) or set(), getattr(route, "path", "")

    return {
        (method, path)
        for route, methods, path in walk(app.routes)
        if isinstance(route, APIRoute)
        for method in methods
    }


def headers_of(settings: CommonSettings, caller: str, ids: dict[str, str]) -> dict[str, str]:
    if caller == "none":
        return {}
    kind, _, scope = caller.partition("-")
    subject = {"manager-own": ids["manager-own"], "manager-other": ids["manager-other"]}.get(
        caller, f"{kind}-1"
    )
    departments = [OWN_DEPARTMENT] if scope == "own" else ["d-elsewhere"]
    token = issue_token(settings, subject=subject, role=Role(kind), departments=departments)
    return {"Authorization": f"Bearer {token}"}


def walk_matrix(
    client: TestClient,
    settings: CommonSettings,
    expected: dict[tuple[str, str], frozenset[str] | str],
    ids: dict[str, str],
) -> list[str]:
    """Every route × caller; the mismatches, described."""
    assert endpoints(client.app) == set(expected), (
        "every route needs an entry in the expected table (and every entry a route): "
        f"missing {sorted(endpoints(client.app) - set(expected))}, "
        f"stale {sorted(set(expected) - endpoints(client.app))}"
    )
    wrong = []
    for (method, template), allowed in sorted(expected.items()):
        path = template.format(name=FILES.get(template, ""), **ids)
        for caller in CALLERS:
            body = {} if method in ("POST", "PUT", "DELETE") else None
            got = client.request(
                method, path, json=body, headers=headers_of(settings, caller, ids)
            ).status_code
            if allowed == PUBLIC:
                ok = got == 200
            elif allowed == SIGNED:
                ok = got == 403
            elif caller in allowed:
                ok = got not in (401, 403) and got < 500
            else:
                ok = got == (401 if caller == "none" else 403)
            if not ok:
                wrong.append(f"{method} {template} as {caller}: {got}")
    return wrong


def _intake_ids(intake: Intake) -> dict[str, str]:
    anna = intake.employees["Anna Andersson"]
    sick = intake.sick("Anna Andersson", reason_category="other", note="ring imorgon")
    assert sick.status_code == 201, sick.text
    return {
        "employee_id": anna,
        "spell_id": sick.json()["spell_id"],
        "rule_id": "omtankesamtal",
        "manager-own": intake.employees["Maja Chef"],
        "manager-other": intake.employees["Hanna Personal"],
    }


def test_intake_every_endpoint_and_role(database, kafka_bootstrap):
    with start_intake(database, kafka_bootstrap) as intake:
        ids = _intake_ids(intake)
        assert walk_matrix(intake.client, intake.settings, INTAKE, ids) == []


def test_stats_every_endpoint_and_role(database, kafka_bootstrap):
    settings = StatsSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        stats_group_id=random_id("stats-matrix"),
    )
    runtime = stats_bootstrap(settings, clock=FixedClock(NOW))
    ids = {"manager-own": "boss-a", "manager-other": "boss-b"}
    with TestClient(stats_app(settings, runtime)) as client:
        assert walk_matrix(client, settings, STATS, ids) == []


def test_notifier_every_endpoint_and_role(database, kafka_bootstrap):
    settings = NotifierSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        notifier_group_id=random_id("notifier-matrix"),
        twilio_auth_token=TWILIO_AUTH_TOKEN,
    )
    ids = {"manager-own": "boss-a", "manager-other": "boss-b"}
    with TestClient(notifier_app(settings)) as client:
        assert walk_matrix(client, settings, NOTIFIER, ids) == []


def test_cases_every_endpoint_and_role(database, kafka_bootstrap):
    settings = CasesSettings(
        database_url=database.url,
        database_schema_prefix=database.schema_prefix,
        kafka_bootstrap_servers=kafka_bootstrap,
        kafka_rebalance_timeout_s=1,
        kafka_auto_offset_reset="latest",
        cases_group_id=random_id("cases-matrix"),
    )
    runtime = cases_bootstrap(settings, clock=FixedClock(NOW))
    at = {"event_id": uuid.uuid4(), "occurred_at": NOW, "source": Source(channel=Channel.SYSTEM)}
    rehab = ContactUpserted(
        **at,
        contact_id="rehab-1",
        role=ContactRole.REHAB_COORDINATOR,
        scope=OWN_DEPARTMENT,
        name="R",
    )
    fired = omtankesamtal_fired(
        "e-matrix",
        OrgRef(workplace_id="w-matrix", department_id=OWN_DEPARTMENT, manager_id="boss-a"),
        NOW,
        # rehab named too: the department's rehab coordinator is then on the case
        recipient_roles=[RecipientRole.MANAGER, RecipientRole.REHAB_COORDINATOR],
    )
    with runtime.uow() as uow:  # as the consumer applies them
        batch = [Consumed("t", 0, n, event) for n, event in enumerate([rehab, fired])]
        cases_handlers.apply_batch(uow=uow, batch=batch, now=NOW, ignored_rules=[])
    with runtime.uow() as uow:
        case = uow.case_of_trigger(fired.trigger_id)
    assert case is not None
    ids = {
        "manager-own": "boss-a",
        "manager-other": "boss-b",
        "case_id": case.case_id,
        "consent_id": "no-such-consent",
    }
    with TestClient(cases_app(settings, runtime)) as client:
        assert walk_matrix(client, settings, CASES, ids) == []


def _spells_as(intake: Intake, caller: str, ids: dict[str, str]):
    url = f"/v1/employees/{ids['employee_id']}/spells"
    return intake.client.get(url, headers=headers_of(intake.settings, caller, ids))


def test_managers_and_hr_see_their_staff_without_what_stays_on_the_line(database, kafka_bootstrap):
    with start_intake(database, kafka_bootstrap) as intake:
        ids = _intake_ids(intake)
        (spell,) = _spells_as(intake, "nurse", ids).json()
        assert (spell["reason_category"], spell["note"]) == ("other", "ring imorgon")
        for caller in ("manager-own", "hr-own"):
            (spell,) = _spells_as(intake, caller, ids).json()
            # the reason was withheld (the default): not theirs to know, nor the nurse's note
            assert (spell["reason_category"], spell["note"]) == (None, None), caller
        for caller in ("manager-other", "hr-other"):
            answer = _spells_as(intake, caller, ids)
            assert answer.status_code == 403 and "may not see this employee" in answer.text
        for caller in ("crisis", "rehab", "admin"):
            answer = _spells_as(intake, caller, ids)
            assert answer.status_code == 403 and "may not do this" in answer.text


def test_an_unknown_employee_looks_the_same_as_someone_elses_to_a_scoped_caller(
    database, kafka_bootstrap
):
    with start_intake(database, kafka_bootstrap) as intake:
        ids = {**_intake_ids(intake), "employee_id": "no-such-employee"}
        for caller, status in (("manager-own", 403), ("hr-own", 403), ("nurse", 404)):
            assert _spells_as(intake, caller, ids).status_code == status, caller
