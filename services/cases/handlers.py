"""Applying triggers and the directory to the cases database, and each step of a case: load,
ask the domain, save, queue the case event in the outbox, all in one transaction."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import uuid4

import structlog

from halsosupport.audit import as_utc
from halsosupport.clock import Clock
from halsosupport.consumer import Consumed
from halsosupport.localtime import local_date
from halsosupport.retention import Retention, case_documentation_due
from schemas.cases import (
    CaseEvent,
    CaseOpened,
    CaseStatus,
    CaseStatusChanged,
    ConversationKind,
    OwnerRole,
)
from schemas.directory import (
    ContactRole,
    ContactUpserted,
    DepartmentUpserted,
    EmployeeErased,
    EmployeeUpserted,
    WorkplaceUpserted,
)
from schemas.envelope import Channel, OrgRef, Source
from schemas.triggers import RecipientRole, TriggerFired, TriggerWithdrawn
from services.cases import domain
from services.cases.adapters.sql_repo import SqlUnitOfWork
from services.cases.adapters.tables import Case, Department, Person, RehabContact, Workplace

log = structlog.get_logger("cases.handlers")


def envelope(case: Case, *, now: datetime, by: str | None) -> dict[str, Any]:
    """The fields every case event carries: ids, org units and who caused it; no text."""
    channel = Channel.SYSTEM if by is None else Channel.WEB
    return {
        "event_id": uuid4(),
        "occurred_at": now,
        "source": Source(channel=channel, registered_by=by or "cases"),
        "employee_id": case.employee_id,
        "org": OrgRef(
            workplace_id=case.workplace_id,
            department_id=case.department_id,
            manager_id=case.manager_id,
        ),
        "case_id": case.case_id,
    }


def emit(uow: SqlUnitOfWork, event: CaseEvent, *, now: datetime) -> None:
    uow.record_event(event, at=now)


def move(uow: SqlUnitOfWork, case: Case, to: CaseStatus, *, now: datetime, by: str | None) -> None:
    """Change the status (the machine allowing) and queue CaseStatusChanged if it changed."""
    current = CaseStatus(case.status)
    domain.check_transition(current, to)
    case.updated_at = now
    if to is current:
        return
    case.status = to.value
    event = CaseStatusChanged(
        **envelope(case, now=now, by=by), from_status=current, to_status=to, on=local_date(now)
    )
    emit(uow, event, now=now)


# --- consuming ---------------------------------------------------------------------------------


def open_case(
    uow: SqlUnitOfWork, trigger: TriggerFired, *, now: datetime, ignored_rules: list[str]
) -> Case | None:
    """One case per trigger_id, whatever the redeliveries: None if the trigger opens none or
    its case exists."""
    if not domain.opens_case(trigger, ignored_rules=ignored_rules):
        return None
    if uow.case_of_trigger(trigger.trigger_id) is not None:
        return None
    owner_role = domain.owner_role_of(trigger)
    owner_id = (
        trigger.org.manager_id
        if owner_role is OwnerRole.MANAGER
        else uow.rehab_coordinator_for(trigger.org.department_id)
    )
    case = Case(
        case_id=str(uuid4()),
        trigger_id=trigger.trigger_id,
        rule_id=trigger.rule_id,
        employee_id=trigger.employee_id,
        workplace_id=trigger.org.workplace_id,
        department_id=trigger.org.department_id,
        manager_id=trigger.org.manager_id,
        conversation_kind=domain.conversation_kind_of(owner_role).value,
        rehab_named=RecipientRole.REHAB_COORDINATOR in trigger.recipient_roles,
        owner_role=owner_role.value,
        owner_id=owner_id,
        status=CaseStatus.OPEN.value,
        opened_on=local_date(now),
        due_on=domain.due_on_of(trigger),
        updated_at=now,
    )
    uow.add(case)
    event = CaseOpened(
        **envelope(case, now=now, by=None),
        trigger_id=case.trigger_id,
        rule_id=case.rule_id,
        conversation_kind=ConversationKind(case.conversation_kind),
        owner_role=owner_role,
        owner_id=owner_id,
        opened_on=case.opened_on,
        due_on=case.due_on,
    )
    emit(uow, event, now=now)
    return case


def withdraw(uow: SqlUnitOfWork, withdrawn: TriggerWithdrawn, *, now: datetime) -> None:
    """The trigger's basis went: an undocumented case is withdrawn; a documented one stays
    and is flagged, since a held conversation or an agreed plan stands on its own."""
    case = uow.case_of_trigger(withdrawn.trigger_id)
    if case is None:
        return
    case.trigger_withdrawn = True
    to = domain.on_trigger_withdrawn(CaseStatus(case.status))
    if to is not None:
        move(uow, case, to, now=now, by=None)
    uow.add(case)


def learn_directory(uow: SqlUnitOfWork, event: object) -> None:
    """Keep who manages each workplace, each department's HR specialist and the rehab
    coordinators (access to a case follows the directory of now) and each employee's name (the
    pages show whom a case is about). Erase on erasure."""
    if isinstance(event, WorkplaceUpserted):
        uow.upsert(
            Workplace(
                workplace_id=event.workplace_id,
                department_id=event.department_id,
                manager_id=event.manager_id,
                deputy_manager_id=event.deputy_manager_id,
            )
        )
    elif isinstance(event, DepartmentUpserted):
        uow.upsert(
            Department(department_id=event.department_id, hr_specialist_id=event.hr_specialist_id)
        )
    elif isinstance(event, ContactUpserted):
        if event.role is ContactRole.REHAB_COORDINATOR:
            uow.upsert(RehabContact(contact_id=event.contact_id, scope=event.scope))
        else:  # a contact that changed role is no rehab coordinator any more
            uow.remove_rehab_contact(event.contact_id)
    elif isinstance(event, EmployeeUpserted):
        uow.upsert(Person(employee_id=event.employee_id, name=event.name))
    elif isinstance(event, EmployeeErased):
        erased = uow.erase_employee(event.employee_id, f"{domain.ERASED}{uuid4()}")
        log.info("employee_erased", cases=erased)


def apply_batch(
    *, uow: SqlUnitOfWork, batch: list[Consumed], now: datetime, ignored_rules: list[str]
) -> int:
    """Apply each event once (its id recorded in the same transaction); returns how many
    cases were opened. The consumer commits offsets only after this returns."""
    seen = uow.already_applied([str(item.event.event_id) for item in batch])
    new_ids, opened = [], 0
    for item in batch:
        event, event_id = item.event, str(item.event.event_id)
        if event_id in seen:
            continue
        seen.add(event_id)
        new_ids.append(event_id)
        if isinstance(event, TriggerFired):
            opened += open_case(uow, event, now=now, ignored_rules=ignored_rules) is not None
        elif isinstance(event, TriggerWithdrawn):
            withdraw(uow, event, now=now)
        else:
            learn_directory(uow, event)
    uow.mark_applied(new_ids)
    uow.commit()
    return opened


def purge_once(uow: Callable[[], SqlUnitOfWork], clock: Clock, keep: Retention) -> dict[str, int]:
    """Strip the documentation of cases that ended longer ago than their retention, each case
    under a pseudonym of its own, in one transaction."""
    now = clock.now()
    with uow() as unit:
        due = [
            case.case_id
            for case in unit.ended_with_documentation()
            if case_documentation_due(
                ended_on=domain.ended_on(
                    CaseStatus(case.status),
                    closed_on=case.closed_on,
                    declined_on=case.declined_on,
                    last_change=local_date(as_utc(case.updated_at)),
                ),
                now=now,
                days=keep.case_documentation_days,
            )
        ]
        for case_id in due:
            unit.strip_documentation([case_id], f"{domain.PURGED}{uuid4()}")
        unit.commit()
    return {"case_documentation": len(due)}
