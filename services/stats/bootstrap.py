"""The one place where the stats service's adapters are built."""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from halsosupport.clock import Clock, SystemClock
from halsosupport.db import service_engine
from halsosupport.localtime import local_date
from services.stats import figure_rows, handlers
from services.stats.adapters.sql_repo import SqlUnitOfWork
from services.stats.domain import Org, Suppression
from services.stats.figure_cache import FigureCache
from services.stats.figures import EmployeeRow
from services.stats.settings import StatsSettings

SERVICE = "stats"
MIGRATIONS = Path(__file__).parent / "migrations"


class CatchingUp(Exception):
    """The consumer is applying a backlog; the figures return when it has caught up."""


@dataclass
class StatsRuntime:
    settings: StatsSettings
    engine: Engine
    clock: Clock

    _org: Org | None = field(default=None, init=False, repr=False)
    _counted_through: date | None = field(default=None, init=False, repr=False)
    # A backlog is being applied with the counts dropped (handlers.defer_counts).
    catching_up: bool = field(default=False, init=False)
    _employee_rows: list[EmployeeRow] | None = field(default=None, init=False, repr=False)
    figure_cache: FigureCache = field(default_factory=FigureCache, init=False, repr=False)

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

    def employee_rows(self) -> list[EmployeeRow]:
        """Every employee with their placements, for the evaluation figures; kept until the
        directory changes like `org` (reading 50,000 took half a second a request)."""
        rows = self._employee_rows
        if rows is None:
            org = self.org()
            with self.uow() as uow:
                rows = self._employee_rows = figure_rows.employees(
                    uow.session, org.workplace_department
                )
        return rows

    def directory_changed(self) -> None:
        self._org = None
        self._employee_rows = None
        self.figure_cache.clear()

    def today(self) -> date:
        """Today in Sweden, with the open spells counted as away up to it (the first request
        of a day moves the counts forward if no event has yet). While a backlog is applied
        the counts are gone: figures then would be wrong, so none is given."""
        if self.catching_up:
            raise CatchingUp()
        today = local_date(self.clock.now())
        if self._counted_through is None or self._counted_through < today:
            with self.uow() as uow:
                self.counted_through(handlers.bring_counts_to(uow, today))
                uow.commit()
        return today

    def counted_through(self, day: date | None) -> None:
        self._counted_through = day

    @property
    def suppression(self) -> Suppression:
        return Suppression(self.settings.min_group_size, self.settings.min_cell_count)


def bootstrap(settings: StatsSettings, *, clock: Clock | None = None) -> StatsRuntime:
    engine = service_engine(settings, SERVICE, MIGRATIONS)
    return StatsRuntime(settings=settings, engine=engine, clock=clock or SystemClock())


def build_engine(settings: StatsSettings) -> Engine:
    """The stats database, migrated to the newest schema."""
    return service_engine(settings, SERVICE, MIGRATIONS)
