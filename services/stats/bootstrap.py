"""The one place where the stats service's adapters are built."""

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from halsosupport.clock import Clock, SystemClock
from halsosupport.db import service_engine
from services.stats.adapters.sql_repo import SqlUnitOfWork
from services.stats.domain import Suppression
from services.stats.settings import StatsSettings

SERVICE = "stats"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class StatsRuntime:
    settings: StatsSettings
    engine: Engine
    clock: Clock

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    @property
    def suppression(self) -> Suppression:
        return Suppression(self.settings.min_group_size, self.settings.min_cell_count)


def bootstrap(settings: StatsSettings, *, clock: Clock | None = None) -> StatsRuntime:
    engine = service_engine(settings, SERVICE, MIGRATIONS)
    return StatsRuntime(settings=settings, engine=engine, clock=clock or SystemClock())
