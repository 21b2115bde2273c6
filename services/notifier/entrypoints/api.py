"""The notifier process: a consumer that records messages, a sender that delivers them, and a
small HTTP API. Run with `halsosupport notifier` (port 8002 by default)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import partial
from typing import Annotated, Literal

import structlog
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel

from halsosupport import audit
from halsosupport.audit import Caller
from halsosupport.auth import Principal, Role
from halsosupport.consumer import Consumed, EventConsumer, backoff_s
from halsosupport.purge_loop import purge_periodically
from halsosupport.web import current_principal, install_common, require_role
from schemas.topics import CASES, DIRECTORY, REPORTS, TRIGGERS
from services.notifier import handlers
from services.notifier.adapters.tables import Preference
from services.notifier.bootstrap import NotifierRuntime, bootstrap
from services.notifier.entrypoints import twilio_status
from services.notifier.settings import NotifierSettings

log = structlog.get_logger("notifier.api")


class Sender:
    """Sends due messages; woken at once when the consumer recorded new ones."""

    def __init__(self, runtime: NotifierRuntime) -> None:
        self.runtime = runtime
        self.wake = asyncio.Event()
        self.last_error: str | None = None

    def _round(self) -> int:
        """One round: record the crisis mail when due, send what is due, report failures."""
        rt = self.runtime
        try:
            handlers.record_crisis_mail(rt.uow, rt.clock, rt.settings, rt.fetch_crisis_figures)
        except Exception as error:  # the stats service is away: the mail waits, nothing else
            log.warning("crisis_mail_waiting", error=str(error)[:200])
        handled = handlers.send_due(
            uow_factory=rt.uow, channels=rt.channels, clock=rt.clock, settings=rt.settings
        )
        if handled == 0:  # nothing waiting: no SMTP connection is kept open while idle
            rt.channels.mailer.close()
        try:
            handlers.publish_failures(rt.uow, rt.clock, rt.publish_failure)
        except Exception as error:  # the broker is away: published on a later round
            log.warning("failure_publish_waiting", error=str(error)[:200])
        return handled

    async def run(self) -> None:
        attempt = 0
        while True:
            try:
                handled = await asyncio.to_thread(self._round)
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
                if handlers.apply_batch(uow=uow, clock=rt.clock, batch=batch, settings=rt.settings):
                    rt_loop.call_soon_threadsafe(sender.wake.set)

        rt_loop = asyncio.get_running_loop()
        consumer = EventConsumer(
            settings=settings,
            group_id=settings.notifier_group_id,
            topics=[DIRECTORY, REPORTS, TRIGGERS, CASES],
            handle=apply,
        )
        app.state.runtime, app.state.consumer, app.state.sender = rt, consumer, sender
        app.state.record_sms_status = lambda sid, status, code: handlers.record_sms_status(
            rt.uow, sid, status, code
        )
        tasks = [asyncio.create_task(consumer.run()), asyncio.create_task(sender.run())]
        if settings.purge_interval_s > 0:
            run = partial(handlers.purge_once, rt.uow, rt.clock, settings.retention())
            tasks.append(asyncio.create_task(purge_periodically(run, settings.purge_interval_s)))
        try:
            yield
        finally:
            consumer.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            rt.channels.mailer.close()
            rt.publish_failure.close()
            rt.engine.dispose()

    app = FastAPI(title="halsosupport notifier", version="1", lifespan=lifespan)
    app.state.settings = settings
    install_common(app)

    @app.get("/healthz")
    def healthz(request: Request) -> dict[str, object]:
        rt: NotifierRuntime = request.app.state.runtime
        with rt.uow() as uow:
            messages = uow.counts_by_status()
            in_doubt = uow.count_in_doubt()
        return {
            "status": "ok",
            "service": "notifier",
            "consumer": request.app.state.consumer.status(),
            "sender_error": request.app.state.sender.last_error,
            "messages": messages,
            "failed": messages.get("failed", 0),
            "sent_again_in_doubt": in_doubt,
        }

    @app.get("/v1/messages/failed", dependencies=[Depends(require_role(Role.ADMIN))])
    def failed_messages(request: Request, caller: Caller) -> list[FailedMessageOut]:
        """Messages given up on: what, to which role, why — for an administrator to follow up."""
        rt: NotifierRuntime = request.app.state.runtime
        with rt.uow() as uow:
            failed = [
                FailedMessageOut(
                    message_id=m.id or 0,
                    template=m.template,
                    channel=m.channel,
                    recipient_role=m.recipient_role,
                    recipient_id=m.recipient_id,
                    employee_id=m.employee_id,
                    attempts=m.attempts,
                    last_error=m.last_error,
                    created_at=m.created_at,
                )
                for m in uow.failed()
            ]
            shown = list(dict.fromkeys(m.employee_id for m in failed))
            audit.append(
                uow.session,
                caller,
                action="read failed messages",
                employee_ids=shown,
                at=rt.clock.now(),
            )
            uow.commit()
        return failed

    @app.get("/v1/preferences/me")
    def my_preferences(
        request: Request, me: Annotated[Principal, Depends(current_principal)], caller: Caller
    ) -> PreferenceOut:
        rt: NotifierRuntime = request.app.state.runtime
        with rt.uow() as uow:
            found = uow.preference(me.subject)
            audit.append(
                uow.session,
                caller,
                action="read own preferences",
                employee_ids=[me.subject],
                at=rt.clock.now(),
            )
            uow.commit()
        settings: NotifierSettings = request.app.state.settings
        return PreferenceOut(
            delivery="digest" if found and found.digest else "immediate",
            language=(found.language if found else None) or settings.default_language,
        )

    @app.put("/v1/preferences/me")
    def set_my_preferences(
        body: PreferenceIn,
        request: Request,
        me: Annotated[Principal, Depends(current_principal)],
        caller: Caller,
    ) -> PreferenceOut:
        """Mail at once, or one morning digest (urgent messages still go at once)."""
        rt: NotifierRuntime = request.app.state.runtime
        with rt.uow() as uow:
            uow.session.merge(
                Preference(
                    person_id=me.subject,
                    digest=body.delivery == "digest",
                    language=body.language,
                    updated_at=rt.clock.now(),
                )
            )
            audit.append(
                uow.session,
                caller,
                action="set own preferences",
                employee_ids=[me.subject],
                at=rt.clock.now(),
            )
            uow.commit()
        log.info("preference_set", employee_id=me.subject, delivery=body.delivery)
        return PreferenceOut(
            delivery=body.delivery, language=body.language or rt.settings.default_language
        )

    app.include_router(twilio_status.router)
    return app


class FailedMessageOut(BaseModel):
    message_id: int
    template: str
    channel: str
    recipient_role: str | None
    recipient_id: str | None
    employee_id: str
    attempts: int
    last_error: str | None
    created_at: datetime


class PreferenceIn(BaseModel):
    delivery: Literal["immediate", "digest"]
    language: Literal["sv", "en"] | None = None


class PreferenceOut(BaseModel):
    delivery: Literal["immediate", "digest"]
    language: str
