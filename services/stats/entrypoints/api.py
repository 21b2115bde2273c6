"""The stats process: a consumer feeding the read model and the figures' HTTP API.
Run with `halsosupport stats` (port 8001 by default)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from pydantic import BaseModel

from halsosupport.auth import Principal, Role
from halsosupport.consumer import Consumed, EventConsumer
from halsosupport.localtime import local_date
from halsosupport.web import install_common, require_role
from schemas.topics import DIRECTORY, REPORTS
from services.stats import handlers
from services.stats.bootstrap import StatsRuntime, bootstrap
from services.stats.settings import StatsSettings

AggregateReader = Annotated[
    Principal, Depends(require_role(Role.CRISIS, Role.ADMIN, Role.HR, Role.MANAGER))
]


class Figures(BaseModel):
    headcount: int
    absent_sick: int | None
    absent_vab: int | None
    absent: int | None


class WorkplaceFigures(Figures):
    workplace_id: str
    workplace_name: str
    department_id: str


class TodayOut(BaseModel):
    date: date
    min_group_size: int
    min_cell_count: int
    note: str
    municipality: Figures
    workplaces: list[WorkplaceFigures]


def create_app(settings: StatsSettings, runtime: StatsRuntime | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime or bootstrap(settings)

        def apply(batch: list[Consumed]) -> None:
            with rt.uow() as uow:
                handlers.apply_batch(uow=uow, batch=batch)

        consumer = EventConsumer(
            settings=settings,
            group_id=settings.stats_group_id,
            topics=[DIRECTORY, REPORTS],
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

    def runtime_of(request: Request) -> StatsRuntime:
        rt: StatsRuntime = request.app.state.runtime
        return rt

    Runtime = Annotated[StatsRuntime, Depends(runtime_of)]

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, object]:
        return {"status": "ok", "service": "stats", "consumer": request.app.state.consumer.status()}

    @app.get("/v1/stats/today")
    def today(
        rt: Runtime,
        _reader: AggregateReader,
        on: Annotated[date | None, Query(alias="date", description="default: today")] = None,
    ) -> TodayOut:
        day = on or local_date(rt.clock.now())
        with rt.uow() as uow:
            total, rows = handlers.today_by_workplace(uow=uow, day=day, rule=rt.suppression)
        return TodayOut(
            date=day,
            min_group_size=rt.settings.min_group_size,
            min_cell_count=rt.settings.min_cell_count,
            note="null: withheld, the cell would describe too few people",
            municipality=Figures(**total.__dict__),
            workplaces=[
                WorkplaceFigures(
                    workplace_id=w.workplace_id,
                    workplace_name=w.name,
                    department_id=w.department_id,
                    **figures.__dict__,
                )
                for w, figures in rows
            ],
        )

    return app
