"""The stats process: a consumer feeding the read model and the figures' HTTP API.
Run with `halsosupport stats` (port 8001 by default)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, HTTPException, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from halsosupport import audit
from halsosupport.audit import Caller
from halsosupport.auth import Principal, Role
from halsosupport.consumer import Consumed, EventConsumer
from halsosupport.localtime import local_date
from halsosupport.web import install_common, require_role
from schemas.topics import CASES, DIRECTORY, REPORTS, TRIGGERS
from services.stats import handlers, views
from services.stats.bootstrap import CatchingUp, StatsRuntime, bootstrap
from services.stats.entrypoints import dashboard, reports
from services.stats.entrypoints.responses import (
    NOTE,
    AggregateReader,
    csv_response,
    json_response,
)
from services.stats.settings import StatsSettings


class Figures(BaseModel):
    """One unit on one day; None where the cell would describe too few people."""

    headcount: int
    new_sick: int | None
    new_vab: int | None
    back: int | None
    absent_sick: int | None
    absent_vab: int | None
    absent: int | None
    absent_per_100: float | None


class DepartmentFigures(Figures):
    department_id: str
    department_name: str


class WorkplaceFigures(Figures):
    workplace_id: str
    workplace_name: str
    department_id: str


class CauseFigures(BaseModel):
    reason_category: str
    label: str
    absent_sick: int | None


class TodayOut(BaseModel):
    date: date
    min_group_size: int
    min_cell_count: int
    note: str
    municipality: Figures
    yesterday: Figures
    last_week: Figures
    departments: list[DepartmentFigures]
    workplaces: list[WorkplaceFigures]
    causes: list[CauseFigures]


class DayFigures(Figures):
    date: date


class DailyOut(BaseModel):
    from_: date = Field(alias="from")
    to: date
    unit: str
    days: list[DayFigures]

    model_config = {"populate_by_name": True}


class AwayOut(BaseModel):
    employee_id: str
    name: str
    workplace_id: str
    absence_type: str
    sick_from: date
    expected_return: date | None
    degree_percent: int


class OpenTriggerOut(BaseModel):
    employee_id: str
    name: str
    rule_id: str
    fired_on: date
    due_on: date | None


class UnitOut(BaseModel):
    workplace_id: str
    name: str


class TeamOut(BaseModel):
    workplaces: list[UnitOut]
    away: list[AwayOut]
    open_triggers: list[OpenTriggerOut]


MAX_DAILY_DAYS = 5 * 366


def create_app(settings: StatsSettings, runtime: StatsRuntime | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime or bootstrap(settings)

        def apply(batch: list[Consumed]) -> None:
            # More than a batch waiting behind this one is a backlog: apply it without
            # counting, and count once, from the spells, when at most a batch is left.
            rt.catching_up = consumer.behind > consumer.batch_size
            today = local_date(rt.clock.now())
            with rt.uow() as uow:
                applied = handlers.apply_batch(
                    uow=uow, batch=batch, today=today, counting=not rt.catching_up
                )
            if rt.catching_up:
                rt.counted_through(None)
                rt.figure_cache.clear()
            else:
                rt.counted_through(today)
                rt.figure_cache.spells_changed(applied.spell_days)
            if any(item.topic == DIRECTORY for item in batch):
                rt.directory_changed()

        consumer = EventConsumer(
            settings=settings,
            group_id=settings.stats_group_id,
            topics=[DIRECTORY, REPORTS, TRIGGERS, CASES],
            handle=apply,
        )
        app.state.runtime, app.state.consumer = rt, consumer
        task = asyncio.create_task(consumer.run())
        try:
            yield
        finally:
            consumer.stop()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            rt.engine.dispose()

    app = FastAPI(title="halsosupport stats", version="1", lifespan=lifespan)
    app.state.settings = settings
    install_common(app)
    app.add_exception_handler(CatchingUp, _catching_up)

    def runtime_of(request: Request) -> StatsRuntime:
        rt: StatsRuntime = request.app.state.runtime
        return rt

    Runtime = Annotated[StatsRuntime, Depends(runtime_of)]

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, object]:
        return {"status": "ok", "service": "stats", "consumer": request.app.state.consumer.status()}

    @app.get("/v1/stats/today", response_model=None, responses={200: {"model": TodayOut}})
    def today(
        rt: Runtime,
        _reader: AggregateReader,
        on: Annotated[date | None, Query(alias="date", description="default: today")] = None,
        format: Literal["json", "csv"] = "json",
    ) -> Response:
        """New, back and absent today per unit, yesterday and a week ago beside, by cause."""
        day = on or rt.today()
        org = rt.org()
        with rt.uow() as uow:
            counts = {
                n: views.counts_from_rows(uow.workplace_counts(day - timedelta(days=n)))
                for n in (0, 1, 7)
            }
            by_cause = uow.causes_on(day)
        figures = views.day_figures(counts[0], org, rt.suppression)
        if format == "csv":
            rows = [{"level": "municipality", "unit": "", **figures["municipality"]}]
            rows += [{"level": "department", "unit": d["department_id"], **_only(d)}
                     for d in figures["departments"]]  # fmt: skip
            rows += [{"level": "workplace", "unit": w["workplace_id"], **_only(w)}
                     for w in figures["workplaces"]]  # fmt: skip
            return csv_response(rows, f"today-{day}.csv")
        earlier = {n: views.municipality_figures(counts[n], org, rt.suppression) for n in (1, 7)}
        return json_response(
            TodayOut(
                date=day,
                min_group_size=rt.settings.min_group_size,
                min_cell_count=rt.settings.min_cell_count,
                note=NOTE,
                municipality=Figures(**figures["municipality"]),
                yesterday=Figures(**earlier[1]),
                last_week=Figures(**earlier[7]),
                departments=[DepartmentFigures(**d) for d in figures["departments"]],
                workplaces=[WorkplaceFigures(**w) for w in figures["workplaces"]],
                causes=[CauseFigures(**c) for c in views.causes(by_cause, org, rt.suppression)],
            )
        )

    @app.get("/v1/stats/daily", response_model=None, responses={200: {"model": DailyOut}})
    def daily(
        rt: Runtime,
        _reader: AggregateReader,
        first: Annotated[date, Query(alias="from")],
        last: Annotated[date, Query(alias="to")],
        department_id: str | None = None,
        format: Literal["json", "csv"] = "json",
    ) -> Response:
        """The same figures day by day, for the municipality or one department."""
        if last < first:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "'to' is before 'from'")
        if (last - first).days >= MAX_DAILY_DAYS:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "at most five years per request"
            )
        org = rt.org()
        if department_id is not None and department_id not in org.department_headcount():
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no department {department_id!r}")
        rt.today()
        with rt.uow() as uow:
            per_day = {
                day: views.counts_from_rows(rows)
                for day, rows in uow.department_counts(first, last).items()
            }
        series = views.daily_series(per_day, first, last, org, rt.suppression)
        days = series[department_id or "municipality"]
        if format == "csv":
            return csv_response(days, f"daily-{department_id or 'municipality'}-{first}-{last}.csv")
        return json_response(DailyOut(
            from_=first, to=last, unit=department_id or "municipality",
            days=[DayFigures(**d) for d in days],
        ))  # fmt: skip

    @app.get("/v1/stats/data-quality", response_model=None)
    def quality(
        rt: Runtime,
        _reader: AggregateReader,
        on: Annotated[date | None, Query(alias="date", description="default: today")] = None,
        format: Literal["json", "csv"] = "json",
    ) -> list[dict[str, Any]] | Response:
        """Overdue well reports, backdated and corrected reports per department."""
        day = on or local_date(rt.clock.now())
        org = rt.org()  # before the transaction: on SQLite a second one would wait for it
        with rt.uow() as uow:
            rows = views.data_quality(uow.data_quality_counts(day), org, rt.suppression)
        return csv_response(rows, f"data-quality-{day}.csv") if format == "csv" else rows

    @app.get("/v1/stats/follow-up", response_model=None)
    def follow_up(
        rt: Runtime, _reader: AggregateReader, format: Literal["json", "csv"] = "json"
    ) -> list[dict[str, Any]] | Response:
        """Triggers fired per rule, department and month, beside those handled, those whose
        conversation was held and those whose case closed (the cases service's events)."""
        org = rt.org()  # before the transaction: on SQLite a second one would wait for it
        with rt.uow() as uow:
            rows = views.follow_up(uow.triggers(), org, rt.suppression, uow.cases_by_trigger())
        return csv_response(rows, "follow-up.csv") if format == "csv" else rows

    @app.get("/v1/manager/team")
    def team(
        rt: Runtime,
        manager: Annotated[Principal, Depends(require_role(Role.MANAGER))],
        caller: Caller,
    ) -> TeamOut:
        """A manager's own staff, by name: who is away and which triggers wait for them."""
        day = local_date(rt.clock.now())
        with rt.uow() as uow:
            units = uow.workplaces_managed_by(manager.subject)
            ids = {w.workplace_id for w in units}
            staff = {e.employee_id: e for e in uow.employees() if e.workplace_id in ids}
            away = [
                s for s in uow.spells_touching(day, day)
                if s.employee_id in staff and s.sick_from <= day
                and (s.well_from is None or s.well_from > day)
            ]  # fmt: skip
            triggers = [
                t for t in uow.triggers()
                if t.employee_id in staff and not t.withdrawn and not t.handled
            ]  # fmt: skip
            shown = [s.employee_id for s in away] + [t.employee_id for t in triggers]
            shown = list(dict.fromkeys(shown))  # one row per employee shown
            audit.append(
                uow.session, caller, action="read team", employee_ids=shown, at=rt.clock.now()
            )
            uow.commit()
        return TeamOut(
            workplaces=[UnitOut(workplace_id=w.workplace_id, name=w.name) for w in units],
            away=[
                AwayOut(
                    employee_id=s.employee_id, name=staff[s.employee_id].name,
                    workplace_id=s.workplace_id, absence_type=s.absence_type,
                    sick_from=s.sick_from, expected_return=s.expected_return,
                    degree_percent=s.degree_percent,
                )
                for s in sorted(away, key=lambda s: (s.sick_from, s.spell_id))
            ],
            open_triggers=[
                OpenTriggerOut(
                    employee_id=t.employee_id, name=staff[t.employee_id].name,
                    rule_id=t.rule_id, fired_on=t.fired_on, due_on=t.due_on,
                )
                for t in sorted(triggers, key=lambda t: (t.fired_on, t.trigger_id))
            ],
        )  # fmt: skip

    app.include_router(reports.router)
    app.include_router(dashboard.router)
    return app


def _only(cell: dict[str, Any]) -> dict[str, Any]:
    """The figures of a unit without its names."""
    keys = ("headcount", *views.MEASURES, "absent_per_100")
    return {k: cell[k] for k in keys}


async def _catching_up(_request: Request, _error: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": "30"},
        content={
            "detail": "stats is applying a backlog of events; the figures would be incomplete "
            "until it has caught up. Retry later."
        },
    )
