"""The one place where the cases service's adapters are built and wired."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from halsosupport.clock import Clock, SystemClock
from halsosupport.db import service_engine
from halsosupport.kafka_security import kafka_python_security
from halsosupport.outbox_relay import OutboxRelay
from services.cases.adapters.sql_repo import SqlUnitOfWork
from services.cases.settings import CasesSettings

SERVICE = "cases"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class CasesRuntime:
    settings: CasesSettings
    engine: Engine
    clock: Clock
    relay: OutboxRelay

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)


def bootstrap(settings: CasesSettings, *, clock: Clock | None = None) -> CasesRuntime:
    engine = service_engine(settings, SERVICE, MIGRATIONS)
    relay = OutboxRelay(
        engine=engine,
        store=SqlUnitOfWork,
        client_id="halsosupport-cases-relay",
        bootstrap_servers=settings.kafka_bootstrap_servers,
        poll_interval_s=settings.cases_outbox_poll_interval_s,
        broker_check_interval_s=settings.kafka_broker_check_interval_s,
        security=kafka_python_security(settings),
    )
    return CasesRuntime(settings=settings, engine=engine, clock=clock or SystemClock(), relay=relay)
