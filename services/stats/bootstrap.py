"""The one place where the stats service's adapters are built."""

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import Engine

from halsosupport.clock import Clock, SystemClock
from halsosupport.db import service_engine
from services.stats.adapters.sql_repo import SqlUnitOfWork
from services.stats.domain import Org, Suppression
from services.stats.settings import StatsSettings

SERVICE = "stats"
MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class StatsRuntime:
    settings: StatsSettings
    engine: Engine
    clock: Clock

    _org: Org | None = field(default=None, init=False, repr=False)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)

    def org(self) -> Org:
        """The organisation and its headcounts, kept until the directory changes: every figure
        needs it, and counting 50,000 employees per request is the slowest part."""
        org = self._org
        if org is None:
            with self.uow() as uow:
                org = self._org = uow.org()
        return org

    def directory_changed(self) -> None:
        self._org = None

    @property
    def suppression(self) -> Suppression:
        return Suppression(self.settings.min_group_size, self.settings.min_cell_count)


def bootstrap(settings: StatsSettings, *, clock: Clock | None = None) -> StatsRuntime:
    engine = service_engine(settings, SERVICE, MIGRATIONS)
    return StatsRuntime(settings=settings, engine=engine, clock=clock or SystemClock())


def build_engine(settings: StatsSettings) -> Engine:
    """The stats database, migrated to the newest schema."""
    return service_engine(settings, SERVICE, MIGRATIONS)
