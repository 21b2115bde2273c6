"""Erasure end to end over the real broker: after `POST /v1/erasures` (or `halsosupport erase`)
no API returns the person, a follow-up case about them keeps neither their name nor its
documentation, and the statistics stay the same in aggregate."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import col, select
from typer.testing import CliRunner

from halsosupport.auth import Role, issue_token
from halsosupport.cli import app as cli
from schemas.envelope import OrgRef
from services.cases.bootstrap import bootstrap as cases_bootstrap
from services.cases.entrypoints.api import create_app as cases_app
from services.cases.settings import CasesSettings
from services.notifier.adapters.tables import Message, Person
from services.notifier.bootstrap import bootstrap as notifier_bootstrap
from services.notifier.entrypoints.api import create_app as notifier_app
from services.notifier.settings import NotifierSettings
from services.stats.bootstrap import bootstrap as stats_bootstrap
from services.stats.entrypoints.api import create_app as stats_app
from services.stats.settings import StatsSettings
from tests.integration.conftest import NOW, start_intake
from tests.support import FixedClock, eventually, omtankesamtal_fired, publish, random_id


def _common(database, kafka_bootstrap) -> dict[str, object]:
    return {
        "database_url": database.url,
        "database_schema_prefix": database.schema_prefix,
        "kafka_bootstrap_servers": kafka_bootstrap,
        "kafka_rebalance_timeout_s": 1,
        "kafka_auto_offset_reset": "latest",
    }


@pytest.fixture
def downstream(database, kafka_bootstrap) -> Iterator[tuple[TestClient, TestClient, TestClient]]:
    """Stats, notifier and cases consuming from now on, each in its own new group."""
    common = _common(database, kafka_bootstrap)
    stats = StatsSettings(**common, stats_group_id=random_id("stats-erase"))
    notifier = NotifierSettings(
        **common, notifier_group_id=random_id("notifier-erase"), smtp_port=1, send_retry_for_s=0
    )
    cases = CasesSettings(**common, cases_group_id=random_id("cases-erase"))
    with (
        TestClient(stats_app(stats, stats_bootstrap(stats, clock=FixedClock(NOW)))) as s,
        TestClient(
            notifier_app(notifier, notifier_bootstrap(notifier, clock=FixedClock(NOW)))
        ) as n,
        TestClient(cases_app(cases, cases_bootstrap(cases, clock=FixedClock(NOW)))) as c,
    ):
        for client in (s, n, c):
            eventually(lambda c=client: c.get("/healthz").json()["consumer"]["assigned_partitions"])
        yield s, n, c


def test_an_erased_employee_is_gone_from_every_api_and_the_figures_stay(
    database, kafka_bootstrap, downstream
):
    stats, notifier, cases = downstream
    with start_intake(database, kafka_bootstrap) as intake:
        anna, maja = intake.employees["Anna Andersson"], intake.employees["Maja Chef"]
        assert (
            intake.sick("Anna Andersson", reason_category="other", note="ring").status_code == 201
        )
        case_url = _case_about(cases, kafka_bootstrap, anna, maja)
        as_maja = _bearer(cases, maja, Role.MANAGER)
        consent = {"party": "healthcare", "given_on": str(NOW.date())}
        assert cases.post(f"{case_url}/consents", json=consent, headers=as_maja).is_success
        manager = _bearer(stats, maja, Role.MANAGER)
        crisis = _bearer(stats, "c", Role.CRISIS)
        away = eventually(lambda: stats.get("/v1/manager/team", headers=manager).json()["away"])
        assert anna in str(away)
        nrt = notifier.app.state.runtime
        eventually(lambda: _messages_about(nrt, anna))
        today = stats.get("/v1/stats/today", headers=crisis).json()

        admin = intake.token(Role.ADMIN, subject="admin-1")
        erase = {"employee_id": anna}
        assert intake.client.post("/v1/erasures", json=erase, headers=admin).status_code == 202
        assert intake.client.post("/v1/erasures", json=erase, headers=admin).status_code == 404
        nurse = intake.headers
        found = intake.client.get("/v1/employees", params={"query": "Anna"}, headers=nurse).json()
        assert found["items"] == []
        assert intake.client.get(f"/v1/employees/{anna}/spells", headers=nurse).status_code == 404

        def stats_forgot() -> bool:
            team = stats.get("/v1/manager/team", headers=manager).json()
            return anna not in str(team) and "Anna" not in str(team)

        eventually(stats_forgot)
        assert stats.get("/v1/stats/today", headers=crisis).json() == today
        eventually(lambda: not _messages_about(nrt, anna) and _person(nrt, anna) is None)

        def case_forgot() -> bool:
            case = cases.get(case_url, headers=as_maja).json()
            return case["employee_id"] != anna and case["employee_name"] is None

        eventually(case_forgot)
        assert cases.get(case_url, headers=as_maja).json()["consents"] == []


def test_the_cli_erases_and_refuses_an_unknown_employee(database, kafka_bootstrap, monkeypatch):
    monkeypatch.setenv("HALSOSUPPORT_DATABASE_URL", database.url)
    monkeypatch.setenv("HALSOSUPPORT_DATABASE_SCHEMA_PREFIX", database.schema_prefix)
    with start_intake(database, kafka_bootstrap) as intake:
        anna = intake.employees["Anna Andersson"]
        runner = CliRunner()
        done = runner.invoke(cli, ["erase", anna])
        assert done.exit_code == 0, done.output
        again = runner.invoke(cli, ["erase", anna])
        assert again.exit_code == 1
        found = intake.client.get("/v1/employees", params={"query": "Anna"}, headers=intake.headers)
        assert found.json()["items"] == []


def _case_about(cases: TestClient, bootstrap: str, employee: str, manager: str) -> str:
    """A follow-up case about `employee`, opened as the triggers worker's omtankesamtal would
    open it, once the cases service knows the employee's name; its URL."""
    org = OrgRef(workplace_id="w-care", department_id="d-welfare", manager_id=manager)
    fired = omtankesamtal_fired(employee, org, NOW)
    publish(bootstrap, fired)
    as_manager = _bearer(cases, manager, Role.MANAGER)

    def named_case() -> dict | None:
        found = cases.get("/v1/cases", headers=as_manager).json()
        return next(
            (c for c in found if c["trigger_id"] == fired.trigger_id and c["employee_name"]),
            None,
        )

    case = eventually(named_case)
    assert case["employee_name"] == "Anna Andersson"
    return f"/v1/cases/{case['case_id']}"


def _messages_about(rt, employee_id: str) -> list[Message]:
    with rt.uow() as uow:
        return list(
            uow.session.exec(select(Message).where(col(Message.employee_id) == employee_id))
        )


def _person(rt, person_id: str) -> Person | None:
    with rt.uow() as uow:
        return uow.session.get(Person, person_id)


def _bearer(client: TestClient, subject: str, role: Role) -> dict[str, str]:
    token = issue_token(client.app.state.settings, subject=subject, role=role)
    return {"Authorization": f"Bearer {token}"}
