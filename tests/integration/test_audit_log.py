"""The audit log through the real services and databases: who read or changed whose data is
recorded with the change, admins can list it, the database refuses edits, and `audit verify`
names the first tampered row."""

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from halsosupport import audit
from halsosupport.auth import Role, issue_token
from halsosupport.cli import app as cli
from halsosupport.db import make_engine, migrate, service_database_url
from services.intake.bootstrap import MIGRATIONS as INTAKE
from tests.integration.test_notifier_flow import notifier  # noqa: F401  (fixture)
from tests.integration.test_stats_flow import directory, sick, stats  # noqa: F401  (fixtures)
from tests.support import eventually, publish, random_id

SPELLS_ROUTE = "/v1/employees/{employee_id}/spells"
DROP_TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"],
    "postgresql": ["DROP TRIGGER audit_log_no_change ON audit_log"],
}


def _rows(engine: sa.Engine) -> list[audit.AuditEntry]:
    with Session(engine) as session:
        return list(audit.chain(session))


def _intake_engine(database) -> sa.Engine:
    return make_engine(
        service_database_url(database.url, "intake"), schema=database.schema_prefix + "intake"
    )


def test_a_nurse_reading_and_registering_leaves_rows_an_admin_can_list(intake, database):
    anna = intake.employees["Anna Andersson"]
    assert intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).is_success
    assert intake.sick("Anna Andersson").status_code == 201

    admin = intake.token(Role.ADMIN)
    listed = intake.client.get("/v1/audit", params={"employee_id": anna}, headers=admin)
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [i["action"] for i in items] == [
        "register sick report",
        "read spells",
        "search employees",  # the fixture's listing of the directory
    ]
    registered, read = items[0], items[1]
    assert (registered["subject"], registered["role"], registered["employee_id"]) == (
        "nurse-7",
        "nurse",
        anna,
    )
    assert registered["route"] == "/v1/reports/sick" and registered["client"] == "testclient"
    assert read["route"] == SPELLS_ROUTE  # the template: a raw path may hold a personnummer
    assert items[0]["seq"] > items[1]["seq"] > items[2]["seq"]

    page = intake.client.get(
        "/v1/audit", params={"employee_id": anna, "limit": 1, "before": items[0]["seq"]},
        headers=admin,
    ).json()  # fmt: skip
    assert [i["action"] for i in page["items"]] == ["read spells"]
    assert page["next_before"] == items[1]["seq"]

    engine = _intake_engine(database)
    try:
        rows = _rows(engine)
        assert audit.verify_chain(rows).ok
        assert rows[-1].action == "read audit log" and rows[-1].subject == "t"
    finally:
        engine.dispose()


def test_only_admins_read_the_audit_log(intake):
    anna = intake.employees["Anna Andersson"]
    for role in (Role.NURSE, Role.HR, Role.MANAGER):
        answer = intake.client.get(
            "/v1/audit", params={"employee_id": anna}, headers=intake.token(role)
        )
        assert answer.status_code == 403
    assert intake.client.get("/v1/audit", params={"employee_id": anna}).status_code == 401


def test_a_failed_write_leaves_no_row(intake):
    anna = intake.employees["Anna Andersson"]
    admin = intake.token(Role.ADMIN)
    before = intake.client.get("/v1/audit", params={"employee_id": anna}, headers=admin).json()
    assert intake.sick("Anna Andersson").status_code == 201
    assert intake.sick("Anna Andersson").status_code == 409  # already open: rolled back
    after = intake.client.get("/v1/audit", params={"employee_id": anna}, headers=admin).json()
    new = [i["action"] for i in after["items"] if i["seq"] > before["items"][0]["seq"]]
    assert new == ["register sick report", "read audit log"]


def test_the_database_refuses_to_change_or_remove_a_row(database):
    engine = _intake_engine(database)
    try:
        migrate(engine, INTAKE)
        access = audit.Access("nurse-7", "nurse", "/v1/reports/sick", "10.0.0.1")
        with Session(engine) as session:
            audit.append(session, access, action="x", employee_ids=["e-1"], at=datetime.now(UTC))
            session.commit()
        for statement in ("UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with engine.begin() as conn:
                    conn.exec_driver_sql(statement)
        assert [r.action for r in _rows(engine)] == ["x"]
    finally:
        engine.dispose()


def test_concurrent_appends_keep_one_chain(database):
    engine = _intake_engine(database)
    try:
        migrate(engine, INTAKE)

        def append(n: int) -> None:
            access = audit.Access(f"nurse-{n}", "nurse", "/v1/reports/sick", None)
            for i in range(5):
                with Session(engine) as session:
                    audit.append(
                        session, access, action="x", employee_ids=[f"e-{n}-{i}", f"f-{n}-{i}"],
                        at=datetime.now(UTC),
                    )  # fmt: skip
                    session.commit()

        threads = [threading.Thread(target=append, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        verdict = audit.verify_chain(_rows(engine))
        assert verdict.ok and verdict.checked == 40
    finally:
        engine.dispose()


def test_audit_verify_names_the_first_tampered_row(intake, database, monkeypatch):
    monkeypatch.setenv("HALSOSUPPORT_DATABASE_URL", database.url)
    monkeypatch.setenv("HALSOSUPPORT_DATABASE_SCHEMA_PREFIX", database.schema_prefix)
    anna = intake.employees["Anna Andersson"]
    for _ in range(3):
        intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers)
    runner = CliRunner()
    whole = runner.invoke(cli, ["audit", "verify"])
    assert whole.exit_code == 0, whole.output
    assert "intake: OK" in whole.output and "stats: OK, 0 rows" in whole.output

    shown = runner.invoke(cli, ["audit", "show", "--employee", anna])
    assert shown.exit_code == 0 and shown.output.count("read spells via " + SPELLS_ROUTE) == 3

    engine = _intake_engine(database)
    try:
        victim = [r for r in _rows(engine) if r.action == "read spells"][1].seq
        with engine.begin() as conn:
            for statement in DROP_TRIGGERS[engine.dialect.name]:
                conn.exec_driver_sql(statement)
            conn.execute(
                sa.text("UPDATE audit_log SET subject = 'someone-else' WHERE seq = :seq"),
                {"seq": victim},
            )
    finally:
        engine.dispose()
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    assert f"intake: BROKEN at row {victim} " in broken.output, broken.output


def test_a_manager_reading_the_team_leaves_one_row_per_employee_shown(stats, kafka_bootstrap):  # noqa: F811
    client, settings = stats
    dep, unit, manager = random_id("d"), random_id("w"), random_id("m")
    staff = [random_id("e") for _ in range(3)]
    events = directory(dep, unit, staff)
    events[1] = events[1].model_copy(update={"manager_id": manager})
    publish(kafka_bootstrap, *events, sick(staff[0], dep, unit), sick(staff[1], dep, unit))
    token = issue_token(settings, subject=manager, role=Role.MANAGER)
    headers = {"Authorization": f"Bearer {token}"}
    eventually(lambda: len(client.get("/v1/manager/team", headers=headers).json()["away"]) == 2)
    with Session(client.app.state.runtime.engine) as session:
        rows = list(audit.chain(session))
    last = [r for r in rows if r.subject == manager][-2:]
    assert sorted(r.employee_id for r in last) == sorted(staff[:2])
    assert {(r.role, r.action, r.route) for r in last} == {
        ("manager", "read team", "/v1/manager/team")
    }
    assert audit.verify_chain(rows).ok


def test_reading_ones_own_preferences_is_recorded(notifier):  # noqa: F811
    me = notifier.org.manager
    headers = {
        "Authorization": f"Bearer {issue_token(notifier.settings, subject=me, role=Role.MANAGER)}"
    }
    assert notifier.client.get("/v1/preferences/me", headers=headers).is_success
    put = notifier.client.put("/v1/preferences/me", json={"delivery": "digest"}, headers=headers)
    assert put.is_success
    with Session(notifier.client.app.state.runtime.engine) as session:
        rows = list(audit.chain(session))
    assert [(r.action, r.employee_id, r.subject) for r in rows] == [
        ("read own preferences", me, me),
        ("set own preferences", me, me),
    ]
