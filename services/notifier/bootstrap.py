"""The one place where the notifier's real adapters are built and wired."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from halsosupport.clock import Clock, SystemClock
from halsosupport.db import service_engine
from services.notifier.adapters.smtp_mailer import SmtpMailer
from services.notifier.adapters.sql_repo import SqlUnitOfWork
from services.notifier.ports import Mailer
from services.notifier.rendering import Renderer
from services.notifier.settings import NotifierSettings

SERVICE = "notifier"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class NotifierRuntime:
    settings: NotifierSettings
    engine: Engine
    clock: Clock
    mailer: Mailer
    renderer: Renderer

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)


def bootstrap(settings: NotifierSettings, *, clock: Clock | None = None) -> NotifierRuntime:
    engine = service_engine(settings, SERVICE, MIGRATIONS)
    return NotifierRuntime(
        settings=settings,
        engine=engine,
        clock=clock or SystemClock(),
        mailer=SmtpMailer(settings),
        renderer=Renderer(),
    )
