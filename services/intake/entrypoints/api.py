"""The intake HTTP API. Run with `halsosupport intake` (port 8000 by default).

Routes live in small routers (reports, directory); each is a few lines that call a handler.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI, Request, status
from fastapi.responses import JSONResponse

from halsosupport.purge_loop import purge_periodically
from halsosupport.web import install_common
from services.intake import domain, erasure, personnummer
from services.intake.bootstrap import IntakeRuntime, bootstrap
from services.intake.entrypoints import (
    audit_log,
    console,
    directory,
    directory_import,
    exemptions,
    reports,
    twilio_routes,
)
from services.intake.entrypoints.deps import Runtime
from services.intake.settings import IntakeSettings


def _status_of(error: domain.ReportRejected) -> int:
    if isinstance(error, domain.UnknownEmployee | domain.UnknownSpell):
        return status.HTTP_404_NOT_FOUND
    if isinstance(error, domain.SpellConflict):
        return status.HTTP_409_CONFLICT
    return status.HTTP_422_UNPROCESSABLE_CONTENT


async def _rejected(_request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, domain.ReportRejected)
    body: dict[str, str] = {"detail": error.message}
    if isinstance(error, domain.SpellConflict) and error.spell_id:
        body["spell_id"] = error.spell_id
    return JSONResponse(status_code=_status_of(error), content=body)


async def _bad_personnummer(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        content={"detail": f"personnummer: {error}"},
    )


def create_app(settings: IntakeSettings, runtime: IntakeRuntime | None = None) -> FastAPI:
    """The intake app; `runtime` lets tests inject a clock. The relay runs while the app runs."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.runtime = runtime or bootstrap(settings)
        rt = app.state.runtime
        rt.relay.start()
        tasks = []
        if settings.purge_interval_s > 0:
            run = partial(erasure.purge_once, rt.engine, rt.clock, settings.retention())
            tasks.append(asyncio.create_task(purge_periodically(run, settings.purge_interval_s)))
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            app.state.runtime.relay.stop()
            app.state.runtime.engine.dispose()

    app = FastAPI(title="halsosupport intake", version="1", lifespan=lifespan)
    app.state.settings = settings
    install_common(app)
    app.add_exception_handler(domain.ReportRejected, _rejected)
    app.add_exception_handler(personnummer.InvalidPersonnummer, _bad_personnummer)

    @app.get("/healthz")
    def healthz(rt: Runtime) -> dict[str, object]:
        return {"status": "ok", "service": "intake", "outbox": rt.relay.status()}

    app.include_router(reports.router)
    app.include_router(directory.router)
    app.include_router(directory_import.router)
    app.include_router(twilio_routes.router)
    app.include_router(console.router)
    app.include_router(exemptions.router)
    app.include_router(audit_log.router)
    return app
