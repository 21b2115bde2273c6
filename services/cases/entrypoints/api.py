"""The cases process: a consumer of triggers and the directory that opens one case per trigger,
the outbox relay that publishes case events, the reminders, and the API for each step of a case.
Run with `halsosupport cases` (port 8004 by default).

The documentation is read and written by the manager, the HR specialist and the rehab
coordinator on the case only (services/cases/access.py); every read is audited.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

import structlog
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from halsosupport.consumer import Consumed, EventConsumer, backoff_s
from halsosupport.purge_loop import purge_periodically
from halsosupport.web import install_common
from schemas.topics import DIRECTORY, TRIGGERS
from services.cases import handlers, reminders
from services.cases.bootstrap import CasesRuntime, bootstrap
from services.cases.domain import CaseRefused
from services.cases.entrypoints import pages, routes
from services.cases.settings import CasesSettings

log = structlog.get_logger("cases.api")


async def _refused(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, CaseRefused)
    return JSONResponse(status_code=error.status, content={"detail": error.message})


def queue_reminders(rt: CasesRuntime) -> int:
    with rt.uow() as uow:
        return reminders.queue_reminders(
            uow, now=rt.clock.now(), lead_days=rt.settings.cases_reminder_lead_days
        )


async def remind_periodically(rt: CasesRuntime) -> None:
    """Queue the reminders that are due, now and every `cases_reminder_interval_s`."""
    attempt = 0
    while True:
        try:
            queued = await asyncio.to_thread(queue_reminders, rt)
            if queued:
                rt.relay.wake()
            attempt = 0
            await asyncio.sleep(rt.settings.cases_reminder_interval_s)
        except Exception as error:  # the database is away: try again soon
            log.warning("reminders_retrying", error=str(error)[:200])
            await asyncio.sleep(backoff_s(attempt))
            attempt += 1


def create_app(settings: CasesSettings, runtime: CasesRuntime | None = None) -> FastAPI:
    """The cases app; `runtime` lets tests inject a clock."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime or bootstrap(settings)

        def apply(batch: list[Consumed]) -> None:
            with rt.uow() as uow:
                opened = handlers.apply_batch(
                    uow=uow,
                    batch=batch,
                    now=rt.clock.now(),
                    ignored_rules=settings.cases_ignored_rules,
                )
            if opened:
                rt.relay.wake()

        consumer = EventConsumer(
            settings=settings,
            group_id=settings.cases_group_id,
            topics=[DIRECTORY, TRIGGERS],
            handle=apply,
        )
        app.state.runtime, app.state.consumer = rt, consumer
        rt.relay.start()
        tasks = [
            asyncio.create_task(consumer.run()),
            asyncio.create_task(remind_periodically(rt)),
        ]
        if settings.purge_interval_s > 0:
            purge = partial(handlers.purge_once, rt.uow, rt.clock, settings.retention())
            tasks.append(asyncio.create_task(purge_periodically(purge, settings.purge_interval_s)))
        try:
            yield
        finally:
            consumer.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            rt.relay.stop()
            rt.engine.dispose()

    app = FastAPI(title="halsosupport cases", version="1", lifespan=lifespan)
    app.state.settings = settings
    install_common(app)
    app.add_exception_handler(CaseRefused, _refused)

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, object]:
        rt: CasesRuntime = request.app.state.runtime
        return {
            "status": "ok",
            "service": "cases",
            "consumer": request.app.state.consumer.status(),
            "outbox": rt.relay.status(),
        }

    app.include_router(routes.router)
    app.include_router(pages.router)
    return app
