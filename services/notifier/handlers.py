"""Recording messages from events, and sending what is due."""

import hashlib
import random
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from halsosupport.consumer import Consumed
from schemas.directory import DepartmentUpserted, EmployeeUpserted, WorkplaceUpserted
from schemas.reports import SickReported, WellReported
from schemas.triggers import TriggerFired, TriggerWithdrawn
from services.notifier import domain
from services.notifier.adapters.smtp_mailer import PermanentSendError, TransientSendError
from services.notifier.adapters.sql_repo import SqlUnitOfWork
from services.notifier.adapters.tables import Department, Message, Person, Workplace
from services.notifier.ports import Clock, Mailer
from services.notifier.rendering import Renderer
from services.notifier.settings import NotifierSettings

log = structlog.get_logger("notifier.handlers")

PLANNERS: dict[type, Callable[..., list[domain.PlannedMessage]]] = {
    SickReported: domain.plan_sick_reported,
    WellReported: domain.plan_well_reported,
    TriggerFired: domain.plan_trigger_fired,
    TriggerWithdrawn: domain.plan_trigger_withdrawn,
}


def apply_batch(*, uow: SqlUnitOfWork, clock: Clock, batch: list[Consumed]) -> int:
    """Apply directory changes and record the messages events call for, in one transaction.
    The consumer commits the offsets only after this returns."""
    recorded = 0
    now = clock.now()
    for item in batch:
        event = item.event
        if isinstance(event, EmployeeUpserted):
            uow.upsert(
                Person(
                    person_id=event.employee_id,
                    name=event.name,
                    email=event.email,
                    phone=event.phone,
                    workplace_id=event.org.workplace_id,
                )
            )
        elif isinstance(event, WorkplaceUpserted):
            uow.upsert(
                Workplace(
                    workplace_id=event.workplace_id,
                    name=event.name,
                    department_id=event.department_id,
                    manager_id=event.manager_id,
                    deputy_manager_id=event.deputy_manager_id,
                )
            )
        elif isinstance(event, DepartmentUpserted):
            uow.upsert(
                Department(
                    department_id=event.department_id,
                    name=event.name,
                    hr_specialist_id=event.hr_specialist_id,
                )
            )
        elif planner := PLANNERS.get(type(event)):
            routing = uow.routing(event.org.workplace_id, event.org.manager_id)
            recorded += uow.add_planned(planner(event, routing), at=now)
    uow.commit()
    return recorded


def send_due(
    *,
    uow_factory: Callable[[], SqlUnitOfWork],
    mailer: Mailer,
    renderer: Renderer,
    clock: Clock,
    settings: NotifierSettings,
    limit: int = 50,
) -> int:
    """Send the messages that are due; returns how many were handled. No transaction stays
    open while the mail server is talked to."""
    with uow_factory() as uow:
        due = [m.id for m in uow.due(clock.now(), limit) if m.id is not None]
    for message_id in due:
        _send_one(message_id, uow_factory, mailer, renderer, clock, settings)
    return len(due)


def _send_one(
    message_id: int,
    uow_factory: Callable[[], SqlUnitOfWork],
    mailer: Mailer,
    renderer: Renderer,
    clock: Clock,
    settings: NotifierSettings,
) -> None:
    with uow_factory() as uow:
        message = uow.message(message_id)
        if message is None or message.status != "pending":
            return
        recipient_id = (
            message.recipient_id or uow.routing(message.workplace_id, None).nearest_manager()
        )
        recipient, employee = uow.person(recipient_id), uow.person(message.employee_id)
    if recipient is None or employee is None or not recipient.email:
        missing = "recipient" if recipient is None or not recipient.email else "employee"
        _retry_later(
            message_id, uow_factory, clock, settings, f"{missing} not in the directory yet"
        )
        return
    subject, body = renderer.render(
        message.template,
        {**message.context, "employee_name": employee.name, "recipient_name": recipient.name},
    )
    try:
        mailer.send(to=recipient.email, subject=subject, body=body, message_id=_message_id(message))
    except TransientSendError as error:
        _retry_later(message_id, uow_factory, clock, settings, str(error))
        return
    except PermanentSendError as error:
        _finish(message_id, uow_factory, clock, status="failed", error=str(error))
        return
    _finish(
        message_id, uow_factory, clock, status="sent", subject=subject, recipient_id=recipient_id
    )


def _message_id(message: Message) -> str:
    digest = hashlib.sha256(message.dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@halsosupport>"


def _retry_later(
    message_id: int,
    uow_factory: Callable[[], SqlUnitOfWork],
    clock: Clock,
    settings: NotifierSettings,
    error: str,
) -> None:
    with uow_factory() as uow:
        message = uow.message(message_id)
        assert message is not None
        message.attempts += 1
        message.last_error = error
        if message.attempts >= settings.send_attempts:
            message.status = "failed"
            log.error(
                "message_failed", message_id=message_id, error=error, attempts=message.attempts
            )
        else:
            delay = min(
                settings.send_backoff_cap_s,
                settings.send_backoff_base_s * 2 ** (message.attempts - 1),
            )
            message.next_attempt_at = clock.now() + timedelta(
                seconds=delay * random.uniform(0.5, 1.0)
            )
            log.warning(
                "message_deferred", message_id=message_id, error=error, attempts=message.attempts
            )
        uow.session.add(message)
        uow.commit()


def _finish(
    message_id: int,
    uow_factory: Callable[[], SqlUnitOfWork],
    clock: Clock,
    *,
    status: str,
    error: str | None = None,
    subject: str | None = None,
    recipient_id: str | None = None,
) -> None:
    with uow_factory() as uow:
        message = uow.message(message_id)
        assert message is not None
        now: datetime = clock.now()
        message.status = status
        message.attempts += 1
        message.last_error = error
        if status == "sent":
            message.sent_at = now
            message.subject = subject
            message.recipient_id = recipient_id
        uow.session.add(message)
        uow.commit()
    log.info("message_" + status, message_id=message_id, employee_id=message.employee_id)
