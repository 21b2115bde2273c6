"""The notifier process: a consumer that records messages, a sender that delivers them, and a
small HTTP API. Run with `halsosupport notifier` (port 8002 by default)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request

from halsosupport.consumer import Consumed, EventConsumer, backoff_s
from halsosupport.web import install_common
from schemas.topics import DIRECTORY, REPORTS, TRIGGERS
from services.notifier import handlers
from services.notifier.bootstrap import NotifierRuntime, bootstrap
from services.notifier.settings import NotifierSettings

log = structlog.get_logger("notifier.api")


class Sender:
    """Sends due messages; woken at once when the consumer recorded new ones."""

    def __init__(self, runtime: NotifierRuntime) -> None:
        self.runtime = runtime
        self.wake = asyncio.Event()
        self.last_error: str | None = None

    async def run(self) -> None:
        attempt = 0
        while True:
            try:
                handled = await asyncio.to_thread(
                    handlers.send_due,
                    uow_factory=self.runtime.uow,
                    mailer=self.runtime.mailer,
                    renderer=self.runtime.renderer,
                    clock=self.runtime.clock,
                    settings=self.runtime.settings,
                )
                attempt, self.last_error = 0, None
            except Exception as error:  # the database is away: keep trying
                self.last_error = str(error)
                log.warning("sender_retrying", error=str(error))
                await asyncio.sleep(backoff_s(attempt))
                attempt += 1
                continue
            if handled == 0:
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=1.0)
                except TimeoutError:
                    pass
                self.wake.clear()


def create_app(settings: NotifierSettings, runtime: NotifierRuntime | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rt = runtime or bootstrap(settings)
        sender = Sender(rt)

        def apply(batch: list[Consumed]) -> None:
            with rt.uow() as uow:
                if handlers.apply_batch(uow=uow, clock=rt.clock, batch=batch):
                    rt_loop.call_soon_threadsafe(sender.wake.set)

        rt_loop = asyncio.get_running_loop()
        consumer = EventConsumer(
            settings=settings,
            group_id=settings.notifier_group_id,
            topics=[DIRECTORY, REPORTS, TRIGGERS],
            handle=apply,
        )
        app.state.runtime, app.state.consumer, app.state.sender = rt, consumer, sender
        tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(sender.run())]
        try:
            yield
        finally:
            consumer.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            rt.engine.dispose()

    app = FastAPI(title="halsosupport notifier", version="1", lifespan=lifespan)
    app.state.settings = settings
    install_common(app)

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, object]:
        rt: NotifierRuntime = request.app.state.runtime
        with rt.uow() as uow:
            messages = uow.counts_by_status()
        return {
            "status": "ok",
            "service": "notifier",
            "consumer": request.app.state.consumer.status(),
            "sender_error": request.app.state.sender.last_error,
            "messages": messages,
        }

    return app
