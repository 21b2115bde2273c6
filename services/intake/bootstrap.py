"""The one place where the intake's real adapters are built and wired."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from halsosupport.clock import SystemClock
from halsosupport.db import service_engine
from halsosupport.kafka_security import kafka_python_security
from services.intake.adapters.outbox_relay import OutboxRelay
from services.intake.ports import Clock
from services.intake.settings import IntakeSettings

SERVICE = "intake"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class IntakeRuntime:
    settings: IntakeSettings
    engine: Engine
    clock: Clock
    relay: OutboxRelay


def build_engine(settings: IntakeSettings) -> Engine:
    """The intake database, migrated to the newest revision."""
    return service_engine(settings, SERVICE, MIGRATIONS)


def bootstrap(settings: IntakeSettings, *, clock: Clock | None = None) -> IntakeRuntime:
    engine = build_engine(settings)
    relay = OutboxRelay(
        engine=engine,
        bootstrap_servers=settings.kafka_bootstrap_servers,
        poll_interval_s=settings.outbox_poll_interval_s,
        batch_size=settings.outbox_batch_size,
        broker_check_interval_s=settings.kafka_broker_check_interval_s,
        security=kafka_python_security(settings),
    )
    return IntakeRuntime(
        settings=settings, engine=engine, clock=clock or SystemClock(), relay=relay
    )
