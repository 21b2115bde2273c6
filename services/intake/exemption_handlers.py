"""HR's exemptions from trigger rules: the decision and its reason are kept here, the terms
alone travel on the reports topic so the rule engine sees them in order with the reports."""

import uuid
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from schemas.envelope import Channel, Source
from schemas.reports import ExemptionLifted, ExemptionSet
from services.intake import domain
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.adapters.tables import Employee, Exemption, ExemptionChange
from services.intake.handlers import org_on
from services.intake.ports import Clock


@dataclass(frozen=True)
class Decided:
    """The event that carries the decision; `changed` False: the same terms were already in
    force, nothing was recorded and `event_id` is the event that put them there."""

    event_id: UUID
    changed: bool


def set_exemption(
    *,
    uow: SqlUnitOfWork,
    clock: Clock,
    employee_id: str,
    rule_id: str,
    suppressed: bool,
    threshold: int | None,
    valid_until: date | None,
    why: str,
    decided_by: str,
    channel: Channel = Channel.WEB,
) -> Decided:
    """Exempt the employee from `rule_id` (or change the exemption) and queue `ExemptionSet`.
    Setting the terms already in force is a no-op, so a retried request publishes nothing.
    The caller commits."""
    now = clock.now()
    today = domain.local_date(now)
    terms = domain.ExemptionTerms(suppressed, threshold, valid_until)
    domain.check_rule_id(rule_id)
    domain.check_exemption(terms, today=today)
    why = domain.checked_why(why)
    employee = _employee_to_exempt(uow, employee_id, today=today)
    current = uow.exemption(employee_id, rule_id)
    before = None if current is None else _terms(current)
    if current is not None and before == terms:
        return Decided(event_id=UUID(current.event_id), changed=False)
    event = ExemptionSet(
        event_id=uuid.uuid4(),
        occurred_at=now,
        source=Source(channel=channel, registered_by=decided_by),
        employee_id=employee_id,
        org=org_on(uow, employee, today),
        rule_id=rule_id,
        suppressed=suppressed,
        threshold=threshold,
        valid_until=valid_until,
        decided_by=decided_by,
    )
    in_force = {**asdict(terms), "why": why, "decided_by": decided_by, "decided_at": now}
    in_force["event_id"] = str(event.event_id)
    if current is None:
        uow.add(Exemption(employee_id=employee_id, rule_id=rule_id, **in_force))
    else:
        current.sqlmodel_update(in_force)
        uow.add(current)
    uow.add(_change(event, "set", why, now, before=before, after=terms))
    uow.record_event(event, at=now)
    return Decided(event_id=event.event_id, changed=True)


def lift_exemption(
    *,
    uow: SqlUnitOfWork,
    clock: Clock,
    employee_id: str,
    rule_id: str,
    why: str,
    decided_by: str,
    channel: Channel = Channel.WEB,
) -> Decided:
    """End the exemption from `rule_id` and queue `ExemptionLifted`; its history stays.
    The caller commits."""
    now = clock.now()
    domain.check_rule_id(rule_id)
    why = domain.checked_why(why)
    employee = uow.employee(employee_id, for_update=True)
    if employee is None:
        raise domain.UnknownEmployee(f"unknown employee {employee_id!r}")
    current = uow.exemption(employee_id, rule_id)
    if current is None:
        raise domain.UnknownExemption(
            f"employee {employee_id!r} has no exemption from {rule_id!r} to lift; "
            f"see GET /v1/employees/{employee_id}/exemptions"
        )
    event = ExemptionLifted(
        event_id=uuid.uuid4(),
        occurred_at=now,
        source=Source(channel=channel, registered_by=decided_by),
        employee_id=employee_id,
        org=org_on(uow, employee, domain.local_date(now)),
        rule_id=rule_id,
        decided_by=decided_by,
    )
    uow.add(_change(event, "lifted", why, now, before=_terms(current), after=None))
    uow.remove(current)
    uow.record_event(event, at=now)
    return Decided(event_id=event.event_id, changed=True)


def _employee_to_exempt(uow: SqlUnitOfWork, employee_id: str, *, today: date) -> Employee:
    # Locked like a report, so the employee's outbox rows follow commit order.
    employee = uow.employee(employee_id, for_update=True)
    if employee is None:
        raise domain.UnknownEmployee(
            f"unknown employee {employee_id!r}; find the id with GET /v1/employees"
        )
    if employee.employed_to is not None and employee.employed_to < today:
        raise domain.UnknownEmployee(f"employee {employee_id!r} left on {employee.employed_to}")
    return employee


def _terms(exemption: Exemption) -> domain.ExemptionTerms:
    return domain.ExemptionTerms(exemption.suppressed, exemption.threshold, exemption.valid_until)


def _as_json(terms: domain.ExemptionTerms | None) -> dict[str, Any] | None:
    if terms is None:
        return None
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(terms).items()}


def _change(
    event: ExemptionSet | ExemptionLifted,
    kind: str,
    why: str,
    at: datetime,
    *,
    before: domain.ExemptionTerms | None,
    after: domain.ExemptionTerms | None,
) -> ExemptionChange:
    return ExemptionChange(
        employee_id=event.employee_id,
        rule_id=event.rule_id,
        kind=kind,
        why=why,
        by=event.decided_by,
        at=at,
        before=_as_json(before),
        after=_as_json(after),
        event_id=str(event.event_id),
    )
