"""`halsosupport run` as a newcomer starts it: real processes, HTTP in, mail files out.

A sick call reaches the nearest manager's inbox within seconds, without the withheld reason; the
4th occasion in 12 months brings the omtankesamtal mail; no event and no log line holds a
personnummer, a name or the nurse's note; an erased employee is gone from every API while the
figures keep her absence; Ctrl-C leaves no process behind.
"""

import email
import email.policy
import os
import re
import signal
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pytest

from halsosupport.auth import Role, issue_token
from halsosupport.demo import small_directory
from halsosupport.kafka import read_all
from halsosupport.localtime import local_date
from halsosupport.processes import free_port
from halsosupport.settings import CommonSettings
from schemas.topics import CASES, DEADLETTER, NOTIFICATIONS, REPORTS, TRIGGERS
from services.intake.directory import EmployeeRecord
from services.intake.personnummer import InvalidPersonnummer, parse
from tests.support import eventually

pytestmark = pytest.mark.e2e


def mails(mail_dir: Path) -> list[email.message.EmailMessage]:
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
        for p in sorted(mail_dir.glob("*.eml"))
    ]


def manager_of(workplace_id: str) -> EmployeeRecord:
    """The demo directory's nearest manager of a workplace, by their personnummer."""
    demo = small_directory()
    manager = next(w.manager for w in demo.workplaces if w.workplace_id == workplace_id)
    return next(e for e in demo.employees if e.personnummer == manager)


def manager_email_of(workplace_id: str) -> str | None:
    return manager_of(workplace_id).email


def bearer(subject: str, role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(CommonSettings(), subject=subject, role=role)}"}


NURSE_NOTE = "Ringde 07.12, lät hes; anteckning som stannar hos linjen"
# A personnummer's shape outside a UUID: 6 or 8 digits, maybe a dash or plus, 4 digits.
PERSONNUMMER_SHAPE = re.compile(r"(?<![0-9A-Za-z-])(?:\d{8}|\d{6})[-+]?\d{4}(?![0-9A-Za-z])")


def personal_data_in(lines: list[str]) -> list[str]:
    """Lines holding a demo employee's personnummer (any form), name, e-mail or phone, a
    personnummer-shaped string that is a valid one, or the nurse's note."""
    secrets = {NURSE_NOTE}
    for person in small_directory().employees:
        digits = re.sub(r"\D", "", person.personnummer)
        secrets |= {digits, digits[2:], f"{digits[2:8]}-{digits[8:]}", f"{digits[:8]}-{digits[8:]}"}
        secrets |= {person.name, *(x for x in (person.email, person.phone) if x)}
    found = []
    for line in lines:
        if any(secret in line for secret in secrets):
            found.append(line)
        elif any(_valid(m.group()) for m in PERSONNUMMER_SHAPE.finditer(line)):
            found.append(line)
    return found


def _valid(shaped: str) -> bool:
    """A real date of birth and the right check digit: what a personnummer would have."""
    try:
        parse(shaped, today=date.today())
    except InvalidPersonnummer:
        return False
    return True


@pytest.mark.timeout(300)
def test_a_sick_call_reaches_the_managers_inbox_and_the_fourth_occasion_an_omtankesamtal(
    database, tmp_path
):
    var = tmp_path / "var"
    ports = {
        name: free_port()
        for name in (
            "BROKER",
            "SMTP",
            "MAIL_WEB",
            "INTAKE",
            "STATS",
            "NOTIFIER",
            "TRIGGERS",
            "CASES",
        )
    }
    env = {
        **os.environ,
        **{f"HALSOSUPPORT_{name}_PORT": str(port) for name, port in ports.items()},
        "HALSOSUPPORT_DATABASE_SCHEMA_PREFIX": database.schema_prefix,
        "HALSOSUPPORT_KAFKA_REBALANCE_TIMEOUT_S": "1",
    }
    env.pop("HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("HALSOSUPPORT_DATABASE_URL", None)
    if database.kind == "postgresql":
        env["HALSOSUPPORT_DATABASE_URL"] = database.url
    # SQLite: the default, one file per service under --var-dir
    run = subprocess.Popen(
        [sys.executable, "-m", "halsosupport.cli", "run", "--var-dir", str(var)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        for line in run.stdout:  # until the welcome text: everything is up and seeded
            output.append(line)
            if "Ctrl-C stops everything" in line or run.poll() is not None:
                break
        assert "Hälsosupport is running" in "".join(output), "".join(output)
        children = psutil.Process(run.pid).children(recursive=True)
        assert len(children) >= 8  # tansu, localbucket, mail and five services

        intake = f"http://127.0.0.1:{ports['INTAKE']}"
        token = issue_token(CommonSettings(), subject="nurse-e2e", role=Role.NURSE)
        auth = {"Authorization": f"Bearer {token}"}
        people = httpx.get(f"{intake}/v1/employees?limit=500", headers=auth).json()["items"]
        staff = [p for p in people if p["workplace_id"] == "vof-01"]
        anna, bertil = staff[2], staff[3]
        today = local_date(datetime.now(UTC))

        # 1. one sick call, reason withheld: the manager's mail is on disk within seconds
        reply = httpx.post(
            f"{intake}/v1/reports/sick",
            headers=auth,
            json={
                "employee_id": anna["employee_id"],
                "reason_category": "mental_ill_health",
                "reason_visibility": "withheld",
                "expected_return": str(today + timedelta(days=3)),
                "note": NURSE_NOTE,
            },
        )
        assert reply.status_code == 201, reply.text
        mail_dir = var / "mail"
        (sick_mail,) = eventually(
            lambda: [m for m in mails(mail_dir) if anna["name"] in m["Subject"]], timeout_s=30
        )
        assert sick_mail["To"] == manager_email_of("vof-01")
        body = sick_mail.get_body(preferencelist=("plain",)).get_content()
        assert "Vill ej ange" in body and "Psykisk" not in body
        assert str(today) in body and str(today + timedelta(days=3)) in body

        # 2. four occasions within 12 months: the omtankesamtal mail
        for back in (7, 5, 3):
            sick_from = today - timedelta(days=back)
            for path, body in (
                ("sick", {"sick_from": str(sick_from)}),
                ("well", {"well_from": str(sick_from + timedelta(days=1))}),
            ):
                r = httpx.post(
                    f"{intake}/v1/reports/{path}",
                    headers=auth,
                    json={"employee_id": bertil["employee_id"], **body},
                )
                assert r.status_code == 201, r.text
        assert (
            httpx.post(
                f"{intake}/v1/reports/sick",
                headers=auth,
                json={"employee_id": bertil["employee_id"]},
            ).status_code
            == 201
        )
        (omtanke,) = eventually(
            lambda: [m for m in mails(mail_dir) if "Omtankesamtal" in m["Subject"]], timeout_s=90
        )
        assert bertil["name"] in omtanke["Subject"] and omtanke["To"] == manager_email_of("vof-01")
        assert (
            "4 sjukfrånvarotillfällen" in omtanke.get_body(preferencelist=("plain",)).get_content()
        )
        again = [m["Message-ID"] for m in mails(mail_dir) if "Omtankesamtal" in m["Subject"]]
        assert again == [omtanke["Message-ID"]]  # announced once
        # ... and the case the manager documents it in, open and due, in the cases service
        manager_id = next(
            p["employee_id"] for p in people if p["name"] == manager_of("vof-01").name
        )
        as_manager = {
            "Authorization": "Bearer "
            + issue_token(CommonSettings(), subject=manager_id, role=Role.MANAGER)
        }

        def bertils_case() -> list[dict]:
            answer = httpx.get(f"http://127.0.0.1:{ports['CASES']}/v1/cases", headers=as_manager)
            return [c for c in answer.json() if c["employee_id"] == bertil["employee_id"]]

        (case,) = eventually(bertils_case, timeout_s=30)
        assert (case["rule_id"], case["status"], case["owner_id"]) == (
            "omtankesamtal",
            "open",
            manager_id,
        )

        # 3. the crisis team's view answers
        crisis = issue_token(CommonSettings(), subject="crisis", role=Role.CRISIS)

        def today_view_with_everyone() -> dict | None:
            """Stats reads the directory on its own: wait until it has read all of it."""
            view = httpx.get(
                f"http://127.0.0.1:{ports['STATS']}/v1/stats/today",
                headers={"Authorization": f"Bearer {crisis}"},
            ).json()
            everyone = view["municipality"]["headcount"] == len(small_directory().employees)
            return view if everyone else None

        today_view = eventually(today_view_with_everyone, timeout_s=60)
        # 4. minimisation: what left intake names nobody, and the nurse's note stayed there
        broker = f"127.0.0.1:{ports['BROKER']}"
        events = [
            (value or b"").decode()
            for topic in (REPORTS, TRIGGERS, NOTIFICATIONS, DEADLETTER, CASES)
            for _, value in read_all(broker, topic, idle_timeout_s=2)
        ]
        assert len(events) >= 9, "the sick and well reports should be on the topics"
        assert personal_data_in(events) == []
        # 5. erasure: Anna is gone from every API; the municipality's figures keep her absence
        stats = f"http://127.0.0.1:{ports['STATS']}"
        manager_name = manager_of("vof-01").name
        manager_id = next(p["employee_id"] for p in people if p["name"] == manager_name)
        manager = bearer(manager_id, Role.MANAGER)

        def team_names() -> set[str]:
            team = httpx.get(f"{stats}/v1/manager/team", headers=manager).json()
            return {a["name"] for a in team["away"]} | {t["name"] for t in team["open_triggers"]}

        assert anna["name"] in team_names()
        absent_before = today_view["municipality"]["absent"]
        admin = bearer("dpo", Role.ADMIN)
        erased = httpx.post(
            f"{intake}/v1/erasures", headers=admin, json={"employee_id": anna["employee_id"]}
        )
        assert erased.status_code == 202, erased.text
        found = httpx.get(
            f"{intake}/v1/employees", params={"query": anna["name"]}, headers=auth
        ).json()["items"]
        assert anna["employee_id"] not in {p["employee_id"] for p in found}
        spells = httpx.get(f"{intake}/v1/employees/{anna['employee_id']}/spells", headers=auth)
        assert spells.status_code == 404
        eventually(lambda: anna["name"] not in team_names(), timeout_s=30)
        after = httpx.get(
            f"{stats}/v1/stats/today", headers={"Authorization": f"Bearer {crisis}"}
        ).json()
        assert after["municipality"]["absent"] == absent_before
        if database.kind == "sqlite":
            assert sorted(p.name for p in (var / "db").glob("*.sqlite3")) == [
                "cases.sqlite3",
                "intake.sqlite3",
                "notifier.sqlite3",
                "stats.sqlite3",
            ]
    finally:
        # 4. Ctrl-C stops everything and leaves nothing behind
        run.send_signal(signal.SIGINT)
        rest, _ = run.communicate(timeout=60)
        output.append(rest or "")
    assert run.returncode == 0, "".join(output)
    log_lines = "".join(output).splitlines()
    for log_file in (var / "log").glob("*.log"):
        log_lines += log_file.read_text(errors="replace").splitlines()
    assert len(log_lines) > 100
    leaks = personal_data_in(log_lines)
    assert leaks == [], "\n".join(leaks[:20])
    survivors = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert survivors == [], [p.cmdline() for p in survivors]
