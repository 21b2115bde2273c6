"""The whole system under faults: start it, break a part, and prove afterwards that nothing was
lost and nothing happened twice.

`ChaosSystem` runs what `halsosupport run` runs (embedded broker in memory, mail server, the four
services as processes) and can kill a part, restart it, or restart the broker empty. The
workload sends sick and well reports for the demo staff, back-dated so that some employees reach
their 4th occasion and an omtankesamtal fires. `assert_exactly_once` then compares every
service's own record with what intake accepted:

- stats holds every spell intake holds, with the same dates, and has applied every report event;
- the triggers topic holds exactly the trigger events the rule engine derives from the reports
  intake published (by event id: the engine's ids are deterministic, so a replay is the same);
- every mail the notifier sent is on the mail server once (the Message-ID is derived from the
  notifier's dedupe key), every sick report brought its manager mail and every trigger its mails;
  the mail server was handed a Message-ID twice only for a mail the notifier sent again in doubt.
"""

import email
import email.policy
import os
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from halsosupport import processes
from halsosupport.auth import Role, issue_token
from halsosupport.db import make_engine, service_database_url
from halsosupport.devmail import REPEATS
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.kafka import BrokerUnavailable, read_all
from halsosupport.localtime import local_date
from halsosupport.settings import CommonSettings
from halsosupport.supervisor import CLI, Ports, System, start_system
from schemas import decode
from schemas.topics import REPORTS, TRIGGERS
from schemas.triggers import RecipientRole, TriggerFired
from services.notifier.handlers import message_id_of
from services.triggers.policy import DEFAULT_POLICY, load_policy
from services.triggers.simulate import run_employee

SETTLE_S = float(os.environ.get("CHAOS_SETTLE_S", "120"))


@dataclass(frozen=True)
class ChaosDatabase:
    """Where the services keep their data: a URL template and a schema prefix."""

    url: str
    schema_prefix: str = ""

    def engine(self, service: str) -> sa.engine.Engine:
        return make_engine(
            service_database_url(self.url, service), schema=self.schema_prefix + service
        )


@dataclass
class ChaosSystem:
    var_dir: Path
    database: ChaosDatabase
    extra_env: dict[str, str] = field(default_factory=dict)
    system: System | None = None
    accepted: list[dict[str, Any]] = field(default_factory=list)  # the 201 answers
    # messages a scenario put on the topics itself (poison): not the services' output
    injected: set[bytes] = field(default_factory=set)

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> "ChaosSystem":
        ports = Ports(**distinct_free_ports(list(Ports.__dataclass_fields__)))
        env = {
            "HALSOSUPPORT_DATABASE_URL": self.database.url,
            "HALSOSUPPORT_DATABASE_SCHEMA_PREFIX": self.database.schema_prefix,
            "HALSOSUPPORT_KAFKA_REBALANCE_TIMEOUT_S": "1",
            "HALSOSUPPORT_LOG_LEVEL": "INFO",
            **self.extra_env,
        }
        os.environ.pop("HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS", None)
        self.system = start_system(
            var_dir=self.var_dir, ports=ports, durable_broker=False, extra_env=env
        )
        self.system.seed_demo()
        return self

    def stop(self) -> None:
        if self.system is not None:
            self.system.stop()

    @property
    def ports(self) -> Ports:
        assert self.system is not None
        return self.system.ports

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports.broker}"

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        """Kill a part's whole process group at once, as the kernel's OOM killer would."""
        assert self.system is not None
        child = self.system.children[name]
        os.killpg(child.pid, sig)
        child.wait(timeout=15)

    def restart(self, name: str) -> None:
        """Start a killed part again, the way `start_system` started it, and wait for it."""
        assert self.system is not None
        log_dir = self.var_dir / "log"
        args = [*CLI, name]
        if name == "mail":
            raise ValueError("restart the mail server through its own scenario")
        self.system.children[name] = processes.spawn(
            args, env=self.system.env, log_path=log_dir / f"{name}.log"
        )
        self.wait_healthy(name)

    def wait_healthy(self, name: str, timeout_s: float = 90) -> None:
        port = getattr(self.ports, name)

        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(answers, timeout_s=timeout_s, what=f"{name} /healthz")

    def restart_broker_empty(self, down_s: float = 2.0) -> None:
        """The embedded broker in memory mode loses every topic and offset on a restart."""
        assert self.system is not None
        self.system.broker.stop()
        time.sleep(down_s)
        self.system.broker = EmbeddedBroker(
            port=self.ports.broker, data_dir=None, log_dir=self.var_dir / "log"
        ).start()

    # -- the workload -------------------------------------------------------------------------

    def headers(self, role: Role = Role.NURSE, subject: str = "nurse-chaos") -> dict[str, str]:
        token = issue_token(CommonSettings(), subject=subject, role=role)
        return {"Authorization": f"Bearer {token}"}

    def staff(self) -> list[dict[str, Any]]:
        reply = httpx.get(
            f"http://127.0.0.1:{self.ports.intake}/v1/employees?limit=500",
            headers=self.headers(),
            timeout=10,
        )
        reply.raise_for_status()
        return list(reply.json()["items"])

    def staff_with_a_manager(self, count: int) -> list[dict[str, Any]]:
        """`count` of the staff who have a nearest manager to mail: not a workplace's manager
        (the demo's HR unit managers have no deputy, so their mail waits for the directory)."""
        managers = {m for (m,) in self.rows("intake", "select manager_id from workplace") if m}
        return [p for p in self.staff() if p["employee_id"] not in managers][:count]

    def post(self, path: str, body: dict[str, Any], *, retry_s: float = 60) -> dict[str, Any]:
        """Post until intake accepts: a 503 (its database away) is retried as the answer's
        Retry-After advises, with the same Idempotency-Key, as a real client would."""
        key = os.urandom(8).hex()
        deadline = time.monotonic() + retry_s
        while True:
            try:
                reply = httpx.post(
                    f"http://127.0.0.1:{self.ports.intake}/v1/reports/{path}",
                    headers={**self.headers(), "Idempotency-Key": key},
                    json=body,
                    timeout=15,
                )
            except httpx.TransportError:
                reply = None
            if reply is not None and reply.status_code == 201:
                answer: dict[str, Any] = reply.json()
                self.accepted.append(answer)
                return answer
            if reply is not None and reply.status_code != 503:
                raise AssertionError(f"{path}: {reply.status_code} {reply.text}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{path}: not accepted within {retry_s} s")
            time.sleep(float(reply.headers.get("Retry-After", "1")) if reply else 1.0)

    def occasions(self, employees: list[dict[str, Any]], count: int) -> Iterator[None]:
        """Each employee `count` (at most 4) one-day spells in the last week, the most intake
        lets a nurse back-date; yields after every report so a scenario can strike mid-stream."""
        assert count <= 4
        today = local_date(datetime.now(UTC))
        for n in range(count):
            sick_from = today - timedelta(days=7 - 2 * n)
            for person in employees:
                self.post(
                    "sick", {"employee_id": person["employee_id"], "sick_from": str(sick_from)}
                )
                yield None
                self.post(
                    "well",
                    {
                        "employee_id": person["employee_id"],
                        "well_from": str(sick_from + timedelta(days=1)),
                    },
                )
                yield None

    # -- the checks ---------------------------------------------------------------------------

    def rows(self, service: str, query: str) -> list[Any]:
        engine = self.database.engine(service)
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text(query)).all())  # text(): % works on psycopg
        finally:
            engine.dispose()

    def expected_triggers(self) -> set[str]:
        """The trigger event ids the rule engine derives from the reports intake recorded."""
        return set(self.expected_trigger_events())

    def expected_trigger_events(self) -> dict[str, Any]:
        """The trigger events the rule engine derives from the reports intake recorded, by id."""
        policy = load_policy(DEFAULT_POLICY)
        by_employee: dict[str, list[Any]] = {}
        for (payload,) in self.rows(
            "intake", f"select payload from outbox where topic = '{REPORTS}' order by id"
        ):
            event = decode(payload.encode())
            by_employee.setdefault(event.employee_id, []).append(event)
        today = local_date(datetime.now(UTC))
        return {
            str(out.event_id): out
            for employee_id, events in by_employee.items()
            for out in run_employee(employee_id, events, policy, today)
        }

    def mails(self) -> list[email.message.EmailMessage]:
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted((self.var_dir / "mail").glob("*.eml"))
        ]

    def mail_repeats(self) -> list[str]:
        """Message-IDs the mail server was handed again after storing them (and dropped)."""
        path = self.var_dir / "mail" / REPEATS
        lines = path.read_text().splitlines() if path.exists() else []
        return [line.split(" ", 1)[1] for line in lines]

    def assert_exactly_once(self, timeout_s: float = SETTLE_S) -> None:
        """Wait for the system to settle, then check every effect happened exactly once."""
        wait_for(
            lambda: not self.rows("intake", "select id from outbox where published_at is null"),
            timeout_s=timeout_s,
            what="intake's outbox to be published",
        )
        report_ids = {
            r[0]
            for r in self.rows("intake", f"select event_id from outbox where topic='{REPORTS}'")
        }
        assert len(self.accepted) <= len(report_ids)
        eventually_true(
            lambda: (
                report_ids
                <= {r[0] for r in self.rows("stats", "select event_id from applied_event")}
            ),
            timeout_s,
            "stats to apply every report",
        )
        intake_spells = set(
            self.rows(
                "intake",
                "select spell_id, sick_from, well_from from spell where not retracted",
            )
        )
        stats_spells = set(self.rows("stats", "select spell_id, sick_from, well_from from spell"))
        assert stats_spells == intake_spells

        expected_events = self.expected_trigger_events()
        expected = set(expected_events)
        assert expected, "the workload should make triggers fire"

        def triggers_on_topic() -> Counter[str]:
            return Counter(
                str(decode(value).event_id)
                for _, value in read_all(self.bootstrap, TRIGGERS, idle_timeout_s=1)
                if value is not None and value not in self.injected
            )

        seen: set[str] = set()

        def expected_on_topic() -> bool:
            seen.clear()
            seen.update(triggers_on_topic())
            return seen == expected

        try:
            eventually_true(expected_on_topic, timeout_s, "the expected triggers")
        except AssertionError as error:
            missing = [_described(expected_events[i]) for i in sorted(expected - seen)]
            extra = sorted(seen - expected)
            raise AssertionError(f"{error}: missing {missing}, not expected {extra}") from None
        fired = [
            decode(value)
            for _, value in read_all(self.bootstrap, TRIGGERS, idle_timeout_s=1)
            if value is not None and value not in self.injected
        ]
        fired_ids: dict[str, set[str]] = {}
        for event in fired:
            if isinstance(event, TriggerFired):
                fired_ids.setdefault(event.trigger_id, set()).add(str(event.event_id))
        # a redelivered copy carries the same event id; a second firing would not
        assert fired_ids and all(len(ids) == 1 for ids in fired_ids.values()), fired_ids

        sick_ids = {
            r[0]
            for r in self.rows(
                "intake",
                f"select event_id from outbox where topic='{REPORTS}' "
                "and payload like '%\"SickReported\"%'",
            )
        }
        # Every sick report and every trigger for the manager must bring a mail: wait until the
        # notifier recorded them all (a restarted notifier rejoins its group first) and sent them.
        for_manager = {
            str(event.event_id)
            for event in fired
            if isinstance(event, TriggerFired) and RecipientRole.MANAGER in event.recipient_roles
        }

        def settled_mail() -> bool:
            recorded = {
                r[0]
                for r in self.rows(
                    "notifier", "select source_event_id from message where channel='email'"
                )
            }
            waiting = self.rows(
                "notifier",
                "select id from message where (status = 'pending' or sending_at is not null) "
                "and channel='email'",
            )
            return (sick_ids | for_manager) <= recorded and not waiting

        eventually_true(settled_mail, timeout_s, "the notifier to record and send every mail")

        def mail_is_what_was_sent() -> bool:
            """The mail on the server is the mail the notifier marked sent (the Message-ID is
            derived from the dedupe key as the notifier derives it)."""
            keys = self.rows(
                "notifier", "select dedupe_key from message where channel='email' and status='sent'"
            )
            return settled_mail() and {str(m["Message-ID"]) for m in self.mails()} == {
                message_id_of(key) for (key,) in keys
            }

        eventually_true(mail_is_what_was_sent, timeout_s, "the mail to match what was sent")
        failed = self.rows(
            "notifier",
            "select template, last_error from message where channel='email' and status='failed'",
        )
        assert failed == [], f"mail given up on: {failed}"
        sent = self.rows(
            "notifier",
            "select source_event_id, template from message where channel='email' and status='sent'",
        )
        message_ids = Counter(m["Message-ID"] for m in self.mails())
        assert [m for m, n in message_ids.items() if n > 1] == [], "a mail arrived twice"
        # The mail server keeps one copy per Message-ID and lists every repeat it was handed: a
        # repeat is only right for a message the notifier knows it sent again in doubt (it died
        # between the server's acceptance and its own record of it).
        in_doubt = {
            message_id_of(key)
            for (key,) in self.rows("notifier", "select dedupe_key from message where in_doubt")
        }
        repeats = self.mail_repeats()
        assert set(repeats) <= in_doubt, "a mail was sent twice, not known to be in doubt"
        assert len(repeats) == len(set(repeats)), "a mail in doubt was sent more than twice"
        assert len(message_ids) == len(sent)
        mailed_for = {source for source, _ in sent}
        assert sick_ids <= mailed_for, "a sick report without its manager mail"
        assert mailed_for <= report_ids | expected, "a mail for an event intake never recorded"
        assert for_manager and for_manager <= mailed_for, "a trigger without its manager mail"


def _described(event: Any) -> str:
    """A trigger event in a line: what a failed scenario's reader needs to find its cause."""
    fields = ("event_type", "rule_id", "employee_id", "trigger_id", "occurred_at", "day_number")
    return " ".join(f"{f}={getattr(event, f)}" for f in fields if hasattr(event, f))


def distinct_free_ports(names: list[str]) -> dict[str, int]:
    """Free ports, none twice: two picks in a row can return the same just-closed port."""
    chosen: dict[str, int] = {}
    while len(chosen) < len(names):
        port = processes.free_port()
        if port not in chosen.values():
            chosen[names[len(chosen)]] = port
    return chosen


def wait_for(check: Callable[[], bool], *, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except BrokerUnavailable:  # a topic read before anything is on it again: not yet
            pass
        time.sleep(0.5)
    raise AssertionError(f"waited {timeout_s:.0f} s for {what}")


def eventually_true(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    wait_for(check, timeout_s=timeout_s, what=what)


def today() -> date:
    return local_date(datetime.now(UTC))
