"""Recording messages from events, and sending what is due.

A message is written to the database before anything is sent (the consumer commits its offsets
only after that), sent from there with retries, and marked sent only once the provider accepted
it; so a replay or a redelivery sends nothing twice and an outage loses nothing.
"""

import hashlib
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from halsosupport.consumer import Consumed, backoff_s
from halsosupport.db import database_unavailable
from halsosupport.localtime import local_date
from halsosupport.retention import Retention
from schemas.cases import ActionDue, ActionOverdue
from schemas.directory import (
    ContactUpserted,
    DepartmentUpserted,
    EmployeeErased,
    EmployeeUpserted,
    WorkplaceUpserted,
)
from schemas.envelope import Channel, Event, Source
from schemas.notifications import NotificationFailed
from schemas.reports import SickReported, SpellCorrected, SpellRetracted, WellReported
from schemas.triggers import TriggerFired, TriggerWithdrawn
from services.notifier import domain
from services.notifier.adapters.errors import PermanentSendError, TransientSendError
from services.notifier.adapters.sql_repo import SqlUnitOfWork
from services.notifier.adapters.tables import Contact, Department, Message, Person, Workplace
from services.notifier.ports import Clock, Mailer, SmsSender
from services.notifier.rendering import Renderer
from services.notifier.settings import NotifierSettings

log = structlog.get_logger("notifier.handlers")
SOURCE = Source(channel=Channel.SYSTEM, registered_by="notifier")
UowFactory = Callable[[], SqlUnitOfWork]
FINISH_RETRY_S = 300.0  # how long a sent message's outcome waits for the database


# --- recording --------------------------------------------------------------------------------


def apply_batch(
    *, uow: SqlUnitOfWork, clock: Clock, batch: list[Consumed], settings: NotifierSettings
) -> int:
    """Apply directory changes and record the messages events call for, in one transaction.
    The consumer commits the offsets only after this returns."""
    recorded = 0
    now = clock.now()
    for item in batch:
        event = item.event
        if not _learn_directory(uow, event):
            planned = _plan(uow, event)
            _track_absence(uow, event, now)
            recorded += uow.add_planned(
                planned, at=now, send_at=_digest_times(uow, planned, now, settings)
            )
    uow.commit()
    return recorded


def _learn_directory(uow: SqlUnitOfWork, event: Event) -> bool:
    if isinstance(event, EmployeeUpserted):
        uow.upsert_person(
            Person(
                person_id=event.employee_id,
                name=event.name,
                email=event.email,
                phone=event.phone,
                workplace_id=event.org.workplace_id,
                sms_opt_out=event.sms_opt_out,
            )
        )
    elif isinstance(event, EmployeeErased):
        log.info("employee_erased", messages=uow.erase_person(event.employee_id))
    elif isinstance(event, WorkplaceUpserted):
        uow.upsert(
            Workplace(
                workplace_id=event.workplace_id,
                name=event.name,
                department_id=event.department_id,
                manager_id=event.manager_id,
                deputy_manager_id=event.deputy_manager_id,
                scheduler_id=event.scheduler_id,
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
    elif isinstance(event, ContactUpserted):
        uow.upsert(
            Contact(
                contact_id=event.contact_id,
                role=event.role.value,
                scope=event.scope,
                name=event.name,
                email=event.email,
                phone=event.phone,
            )
        )
    else:
        return False
    return True


def _plan(uow: SqlUnitOfWork, event: Event) -> list[domain.PlannedMessage]:
    if isinstance(event, ActionDue | ActionOverdue):
        # A rehab coordinator is a directory contact; anyone else owning an item is a person.
        kind = domain.CONTACT if uow.contact(event.owner_id) else domain.PERSON
        owner = domain.Recipient(kind, event.owner_id, domain.CASE_OWNER)
        return domain.plan_case_reminder(event, owner)
    if isinstance(event, TriggerWithdrawn):
        return domain.plan_trigger_withdrawn(event, uow.told_of_trigger(event.trigger_id))
    if not isinstance(event, SickReported | WellReported | TriggerFired):
        return []
    routing = uow.routing(event.org.workplace_id, event.org.manager_id, event.org.department_id)
    if isinstance(event, SickReported):
        return domain.plan_sick_reported(event, routing)
    if isinstance(event, WellReported):
        return domain.plan_well_reported(event, routing)
    return domain.plan_trigger_fired(event, routing)


def _track_absence(uow: SqlUnitOfWork, event: Event, now: datetime) -> None:
    """Who is away themselves, so a manager on sick leave is not the one told."""
    if isinstance(event, SickReported):
        uow.set_away(event.employee_id, event.spell_id)
    elif isinstance(event, WellReported | SpellRetracted):
        uow.set_away(event.employee_id, None, only_if=event.spell_id)
    elif isinstance(event, SpellCorrected) and event.well_from is not None:
        if event.well_from <= local_date(now):
            uow.set_away(event.employee_id, None, only_if=event.spell_id)


def _digest_times(
    uow: SqlUnitOfWork,
    planned: list[domain.PlannedMessage],
    now: datetime,
    settings: NotifierSettings,
) -> dict[str, datetime]:
    """Messages that wait for their recipient's morning digest, and when it goes."""
    later: dict[str, datetime] = {}
    for p in planned:
        if p.channel != domain.EMAIL or p.recipient.kind != domain.PERSON:
            continue
        preference = uow.preference(p.recipient.recipient_id)
        rule_id = p.context.get("rule_id")
        if preference is not None and preference.digest:
            if not domain.is_urgent(p.template, rule_id, settings.urgent_messages):
                later[p.dedupe_key] = domain.next_digest_at(now, settings.digest_time)
    return later


def record_crisis_mail(
    uow_factory: UowFactory,
    clock: Clock,
    settings: NotifierSettings,
    fetch_figures: Callable[[], dict[str, Any]],
) -> int:
    """Record today's statistics mail for the crisis team once its time has come."""
    day = domain.crisis_mail_due(clock.now(), settings.crisis_mail_time)
    if day is None or not settings.crisis_team_emails:
        return 0
    keys = {address: f"crisis:{day}:{address}" for address in settings.crisis_team_emails}
    with uow_factory() as uow:
        missing = [address for address, key in keys.items() if not uow.exists(key)]
    if not missing:
        return 0
    figures = fetch_figures()  # raises while the stats service is away: tried again later
    now = clock.now()
    with uow_factory() as uow:
        for address in missing:
            uow.session.add(
                Message(
                    dedupe_key=keys[address],
                    source_event_id=f"crisis:{day}",
                    employee_id="-",
                    workplace_id="-",
                    recipient_id=address,
                    recipient_kind=domain.ADDRESS,
                    recipient_role="crisis_team",
                    channel=domain.EMAIL,
                    template="crisis_daily",
                    context={"day": day.isoformat(), "figures": figures},
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        uow.commit()
    log.info("crisis_mail_recorded", day=str(day), recipients=len(missing))
    return len(missing)


# --- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Channels:
    """The ways out, and how to word a message."""

    mailer: Mailer
    sms: SmsSender
    renderer: Renderer


@dataclass(frozen=True)
class _Address:
    name: str
    email: str | None
    phone: str | None
    sms_opt_out: bool = False


def send_due(
    *,
    uow_factory: UowFactory,
    channels: Channels,
    clock: Clock,
    settings: NotifierSettings,
    limit: int = 50,
) -> int:
    """Send the messages that are due; returns how many were handled. No transaction stays
    open while a provider is talked to."""
    with uow_factory() as uow:
        due = uow.due(clock.now(), limit)
        singles = [m.id for m in due if not m.digest and m.id is not None]
        digests: dict[tuple[str, str], list[int]] = defaultdict(list)
        for m in due:
            if m.digest and m.id is not None and m.recipient_id:
                digests[(m.recipient_kind, m.recipient_id)].append(m.id)
    for message_id in singles:
        _send_one(message_id, uow_factory, channels, clock, settings)
    for ids in digests.values():
        _send_digest(ids, uow_factory, channels, clock, settings)
    return len(due)


def _address(uow: SqlUnitOfWork, kind: str, recipient_id: str | None) -> _Address | None:
    if recipient_id is None:
        return None
    if kind == domain.ADDRESS:
        return _Address(name=recipient_id, email=recipient_id, phone=None)
    if kind == domain.CONTACT:
        contact = uow.contact(recipient_id)
        return contact and _Address(contact.name, contact.email, contact.phone)
    person = uow.person(recipient_id)
    return person and _Address(person.name, person.email, person.phone, person.sms_opt_out)


def _language(uow: SqlUnitOfWork, message: Message, settings: NotifierSettings) -> str:
    preference = uow.preference(message.recipient_id or "") if message.recipient_id else None
    return (preference.language if preference else None) or settings.default_language


def _context(
    uow: SqlUnitOfWork, message: Message, address: _Address, settings: NotifierSettings
) -> dict[str, Any] | None:
    """The message's context with the names it needs; None while the employee is unknown."""
    context = {
        **message.context,
        "recipient_name": address.name,
        "line_number": settings.line_phone_number,
    }
    if message.employee_id != "-":
        employee = uow.person(message.employee_id)
        if employee is None:
            return None
        context["employee_name"] = employee.name
        context["employee_url"] = f"{settings.manager_view_base_url}#employee={message.employee_id}"
    return context


def _send_one(
    message_id: int,
    uow_factory: UowFactory,
    channels: Channels,
    clock: Clock,
    settings: NotifierSettings,
) -> None:
    with uow_factory() as uow:
        message = uow.message(message_id)
        if message is None or message.status != "pending":
            return
        if message.recipient_id is None and message.recipient_role == "manager":
            routing = uow.routing(message.workplace_id, None)
            message.recipient_id = routing.nearest_manager(message.employee_id)
            if message.recipient_id is not None:
                uow.session.add(message)
                uow.commit()
        address = _address(uow, message.recipient_kind, message.recipient_id)
        context = address and _context(uow, message, address, settings)
        language = _language(uow, message, settings)
        channel, template = message.channel, message.template
        missing = _missing(message, address)
    if address is None or context is None:
        _wait_for_directory(message_id, uow_factory, clock, settings, missing)
        return
    if channel == domain.SMS and address.sms_opt_out:
        _finish(message_id, uow_factory, clock, status="skipped", error="the employee sent STOP")
        return
    try:
        rendered = channels.renderer.render(template, context, language)
    except Exception as error:  # a template bug must not stop every other message
        log.error("message_unrenderable", message_id=message_id, error=type(error).__name__)
        _finish(message_id, uow_factory, clock, status="failed", error="rendering failed")
        return
    _claim([message_id], uow_factory, clock)
    try:
        provider_id = _deliver(channels, channel, address, rendered, _message_id(message))
    except TransientSendError as error:
        _retry_later(message_id, uow_factory, clock, settings, str(error))
        return
    except PermanentSendError as error:
        _finish(message_id, uow_factory, clock, status="failed", error=str(error))
        return
    _finish(
        message_id,
        uow_factory,
        clock,
        status="sent",
        subject=rendered.subject,
        provider_id=provider_id,
    )


def _deliver(
    channels: Channels, channel: str, address: _Address, rendered: Any, message_key: str
) -> str | None:
    """Hand one message to its provider; returns the provider's id for an SMS."""
    if channel == domain.SMS:
        if not address.phone:
            raise PermanentSendError("no phone number in the directory")
        return channels.sms.send(to=address.phone, body=rendered.text, message_key=message_key)
    if not address.email:
        raise PermanentSendError("no e-mail address in the directory")
    channels.mailer.send(
        to=address.email,
        subject=rendered.subject,
        body=rendered.text,
        html=rendered.html,
        message_id=message_key,
    )
    return None


def _send_digest(
    ids: list[int],
    uow_factory: UowFactory,
    channels: Channels,
    clock: Clock,
    settings: NotifierSettings,
) -> None:
    """One morning mail with every waiting message for one recipient."""
    with uow_factory() as uow:
        messages = [m for i in ids if (m := uow.message(i)) is not None and m.status == "pending"]
        if not messages:
            return
        first = messages[0]
        address = _address(uow, first.recipient_kind, first.recipient_id)
        language = _language(uow, first, settings)
        missing = _missing(first, address)
        items, unrenderable, waiting, sending = [], [], [], []
        for m in messages:
            assert m.id is not None
            context = _context(uow, m, address, settings) if address else None
            if context is None:  # the rest of the digest need not wait for the directory
                waiting.append(m.id)
                continue
            try:
                part = channels.renderer.render(m.template, context, language)
            except Exception:  # a template bug fails this message, not the digest
                unrenderable.append(m.id)
                continue
            items.append({"subject": part.subject, "text": part.text})
            sending.append(m.id)
    for i in unrenderable:
        _finish(i, uow_factory, clock, status="failed", error="rendering failed")
    for i in waiting:
        _wait_for_directory(i, uow_factory, clock, settings, missing)
    if address is None or not sending:
        return
    digest_key = "digest:" + ",".join(str(i) for i in sending)
    context = {
        "items": items,
        "day": local_date(clock.now()).isoformat(),
        "recipient_name": address.name,
        "recipient_role": first.recipient_role or "",
    }
    try:
        rendered = channels.renderer.render("digest", context, language)
    except Exception as error:  # a template bug must not stop every other message
        log.error("digest_unrenderable", error=type(error).__name__)
        for i in sending:
            _finish(i, uow_factory, clock, status="failed", error="rendering failed")
        return
    _claim(sending, uow_factory, clock)
    try:
        _deliver(channels, domain.EMAIL, address, rendered, _id_of(digest_key))
    except TransientSendError as error:
        for i in sending:
            _retry_later(i, uow_factory, clock, settings, str(error))
        return
    except PermanentSendError as error:
        for i in sending:
            _finish(i, uow_factory, clock, status="failed", error=str(error))
        return
    for i in sending:
        _finish(i, uow_factory, clock, status="sent", subject=rendered.subject)


def _claim(ids: list[int], uow_factory: UowFactory, clock: Clock) -> None:
    """Note that these messages go to their provider now. A claim still there on a later round
    means the process died before it recorded the outcome: the provider may have accepted the
    message, so the resend (same Message-ID, for the receiving side to drop a repeat) is
    marked in doubt."""
    with uow_factory() as uow:
        for message_id in ids:
            message = uow.message(message_id)
            assert message is not None
            if message.sending_at is not None:
                message.in_doubt = True
                log.warning("message_in_doubt_resent", message_id=message_id)
            message.sending_at = clock.now()
            uow.session.add(message)
        uow.commit()


def _id_of(key: str) -> str:
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@halsosupport>"


def _message_id(message: Message) -> str:
    """Derived from the dedupe key: a resend after a crash carries the same id."""
    return message_id_of(message.dedupe_key)


def message_id_of(dedupe_key: str) -> str:
    """The Message-ID of the mail for a message with this dedupe key."""
    return _id_of(dedupe_key)


def _missing(message: Message, address: _Address | None) -> str:
    """Whom the directory does not know yet, for a message that cannot be addressed or worded."""
    return f"the recipient ({message.recipient_role})" if address is None else "the employee"


def _policy(settings: NotifierSettings) -> domain.RetryPolicy:
    return domain.RetryPolicy(
        send_for=timedelta(seconds=settings.send_retry_for_s),
        base_s=settings.send_backoff_base_s,
        cap_s=settings.send_backoff_cap_s,
        directory_wait=timedelta(seconds=settings.directory_wait_s),
    )


def _due_since(message: Message, settings: NotifierSettings) -> datetime:
    created = message.created_at  # SQLite hands it back without its zone, UTC as stored
    created = created if created.tzinfo else created.replace(tzinfo=UTC)
    return domain.due_since(created, message.digest, settings.digest_time)


def _retry_later(
    message_id: int, uow_factory: UowFactory, clock: Clock, settings: NotifierSettings, error: str
) -> None:
    """The provider failed for now: asked again later, until the policy's bound."""
    _defer(
        message_id,
        uow_factory,
        lambda message: domain.after_send_error(
            attempts=message.attempts,
            error=error,
            due_since=_due_since(message, settings),
            now=clock.now(),
            policy=_policy(settings),
            jitter=random.uniform(0.5, 1.0),
        ),
    )


def _wait_for_directory(
    message_id: int, uow_factory: UowFactory, clock: Clock, settings: NotifierSettings, missing: str
) -> None:
    """The directory does not know `missing` yet: no attempt is spent (see
    domain.while_directory_lags)."""

    def decide(message: Message) -> domain.Deferral:
        return domain.while_directory_lags(
            attempts=message.attempts,
            missing=missing,
            due_since=_due_since(message, settings),
            now=clock.now(),
            policy=_policy(settings),
            jitter=random.uniform(0.5, 1.0),
        )

    _defer(message_id, uow_factory, decide)


def _defer(
    message_id: int, uow_factory: UowFactory, decide: Callable[[Message], domain.Deferral]
) -> None:
    """Try the message again later, or fail it, as `decide` says."""
    with uow_factory() as uow:
        message = uow.message(message_id)
        assert message is not None
        deferral = decide(message)
        message.attempts = deferral.attempts
        message.last_error = deferral.error
        message.sending_at = None
        reason = _error_code(deferral.error)
        if deferral.next_attempt_at is None:
            message.status = "failed"
            log.error(
                "message_failed", message_id=message_id, attempts=message.attempts, reason=reason
            )
        else:
            message.next_attempt_at = deferral.next_attempt_at
            log.warning(
                "message_deferred", message_id=message_id, attempts=message.attempts, reason=reason
            )
        uow.session.add(message)
        uow.commit()


def _finish(
    message_id: int,
    uow_factory: UowFactory,
    clock: Clock,
    *,
    status: str,
    error: str | None = None,
    subject: str | None = None,
    provider_id: str | None = None,
    keep_trying_s: float = FINISH_RETRY_S,
) -> None:
    """Record how a message ended. The provider has already taken a sent one: if the database
    is away just now, keep trying to record it (for `keep_trying_s`) rather than leave the
    message pending, which would send it again once the database is back."""
    attempt, deadline = 0, time.monotonic() + keep_trying_s
    while True:
        try:
            with uow_factory() as uow:
                message = uow.message(message_id)
                assert message is not None
                message.status = status
                message.attempts += 1
                message.last_error = error
                message.sending_at = None
                if status == "sent":
                    message.sent_at = clock.now()
                    message.subject = subject
                    message.provider_id = provider_id
                uow.session.add(message)
                if status == "sent":
                    uow.bring_forward(message.channel, clock.now())
                uow.commit()
            break
        except Exception as failure:
            if not database_unavailable(failure) or time.monotonic() > deadline:
                raise
            log.warning("message_outcome_waiting_for_database", message_id=message_id)
            time.sleep(backoff_s(attempt, cap=5.0))
            attempt += 1
    log.info("message_" + status, message_id=message_id, employee_id=message.employee_id)


# --- after sending ------------------------------------------------------------------------------


# Twilio's reports can arrive out of order; a final state is never replaced by an earlier one.
_DELIVERY_ORDER = {"accepted": 1, "queued": 2, "sending": 3, "sent": 4, "delivered": 5,
                   "undelivered": 5, "failed": 5}  # fmt: skip


def record_sms_status(
    uow_factory: UowFactory, message_sid: str, status: str, error_code: str | None
) -> bool:
    """Twilio's delivery report for an SMS; returns whether the message was ours."""
    with uow_factory() as uow:
        message = uow.by_provider_id(message_sid)
        if message is None:
            return False
        if _DELIVERY_ORDER.get(status, 0) < _DELIVERY_ORDER.get(message.delivery_status or "", 0):
            return True  # a late "sent" after "delivered": the later news stands
        message.delivery_status = status
        if status in {"undelivered", "failed"}:
            message.last_error = f"Twilio {status}" + (
                f" (error {error_code})" if error_code else ""
            )
        uow.session.add(message)
        uow.commit()
    log.info("sms_status", message_id=message.id, status=status)
    return True


def publish_failures(
    uow_factory: UowFactory, clock: Clock, publish: Callable[[NotificationFailed], None]
) -> int:
    """Put every newly failed message on the notifications topic (once; retried while the
    broker is away)."""
    with uow_factory() as uow:
        failed = uow.unpublished_failures()
        for message in failed:
            assert message.id is not None
            publish(
                NotificationFailed(
                    event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"halsosupport:failed:{message.id}"),
                    occurred_at=clock.now(),
                    source=SOURCE,
                    message_id=message.id,
                    template=message.template,
                    channel=message.channel,
                    recipient_role=message.recipient_role,
                    employee_id=None if message.employee_id == "-" else message.employee_id,
                    attempts=message.attempts,
                    error=_error_code(message.last_error),
                )
            )
            message.failure_published = True
            uow.session.add(message)
        uow.commit()
    return len(failed)


def _error_code(error: str | None) -> str:
    """The kind of failure without addresses: SMTP servers quote the recipient in their text."""
    if not error:
        return "unknown"
    return error.split(":")[0][:120]


def purge_once(uow: UowFactory, clock: Clock, keep: Retention) -> dict[str, int]:
    """Delete messages past their retention, in one transaction."""
    with uow() as unit:
        purged = unit.purge_messages(now=clock.now(), days=keep.messages_days)
        unit.commit()
    return {"messages": purged}
