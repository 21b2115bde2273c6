"""Fixtures of the integration tests: a running intake with a tiny organisation."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from halsosupport.auth import Role, issue_token
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.processes import free_port
from services.intake.bootstrap import bootstrap
from services.intake.entrypoints.api import create_app
from services.intake.settings import IntakeSettings
from tests.integration.org import seed_directory
from tests.support import FixedClock
from tests.twilio_standin import TwilioStandin

NOW = datetime(2026, 11, 22, 8, 30, tzinfo=UTC)
TWILIO_AUTH_TOKEN = "twilio-test-auth-token"
PUBLIC_BASE_URL = "https://halsosupport.example.se"


@dataclass
class Intake:
    client: TestClient
    settings: IntakeSettings
    headers: dict[str, str]
    employees: dict[str, str]  # name -> employee_id

    def token(
        self, role: Role, *, subject: str = "t", departments: tuple[str, ...] = ("d-welfare",)
    ) -> dict[str, str]:
        """A bearer header; HR covers the tiny organisation's department unless told otherwise."""
        token = issue_token(self.settings, subject=subject, role=role, departments=[*departments])
        return {"Authorization": f"Bearer {token}"}

    def sick(self, name: str, **body) -> object:
        return self.client.post(
            "/v1/reports/sick",
            json={"employee_id": self.employees[name], **body},
            headers=self.headers,
        )

    def well(self, name: str, **body) -> object:
        return self.client.post(
            "/v1/reports/well",
            json={"employee_id": self.employees[name], **body},
            headers=self.headers,
        )


@contextmanager
def start_intake(
    database, bootstrap_servers: str, *, seed: bool = True, **overrides: object
) -> Iterator[Intake]:
    settings = IntakeSettings(
        **{
            "database_url": database.url,
            "database_schema_prefix": database.schema_prefix,
            "kafka_bootstrap_servers": bootstrap_servers,
            "outbox_poll_interval_s": 0.1,
            "twilio_auth_token": TWILIO_AUTH_TOKEN,
            "public_base_url": PUBLIC_BASE_URL,
            **overrides,
        }
    )
    runtime = bootstrap(settings, clock=FixedClock(NOW))
    if seed:
        seed_directory(runtime.engine)
    with TestClient(create_app(settings, runtime)) as client:
        headers = {
            "Authorization": f"Bearer {issue_token(settings, subject='nurse-7', role=Role.NURSE)}"
        }
        page = client.get("/v1/employees", headers=headers).json()
        employees = {e["name"]: e["employee_id"] for e in page["items"]}
        yield Intake(client, settings, headers, employees)


@pytest.fixture
def intake(database, kafka_bootstrap) -> Iterator[Intake]:
    with start_intake(database, kafka_bootstrap) as running:
        yield running


@pytest.fixture
def empty_intake(database, kafka_bootstrap) -> Iterator[Intake]:
    """A running intake with an empty directory."""
    with start_intake(database, kafka_bootstrap, seed=False) as running:
        yield running


# --- Twilio stand-in (the notifier's SMS adapter) ---------------------------------------------
TWILIO_ACCOUNT_SID = "AC" + "0" * 31 + "1"


@pytest.fixture
def twilio_standin() -> Iterator[TwilioStandin]:
    """Twilio's Messages API on a free local port, for account TWILIO_ACCOUNT_SID and token
    TWILIO_AUTH_TOKEN."""
    standin = TwilioStandin(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN).start()
    try:
        yield standin
    finally:
        standin.stop()


# --- A broker of the test's own, to restart empty ---------------------------------------------
@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    """An embedded broker in memory on a free port: a restart loses every topic and offset."""
    running = EmbeddedBroker(port=free_port()).start()
    try:
        yield running
    finally:
        running.stop()


def restart_empty(broker: EmbeddedBroker, *, create_topics: bool = True) -> None:
    broker.stop()
    broker.start(create_topics=create_topics)
