"""Erasure of one employee and the scheduled purge of old notes and spells, in the intake.

Erasure deletes the person outright here (the directory row with personnummer, name and
contacts; placements, spells, corrections, exemptions, and the outbox rows that carry their
events), then queues `EmployeeErased` and a tombstone for the directory topic. The statistics
keep the person's days under a random pseudonym of their own, so aggregates stay right.
"""

from datetime import datetime
from uuid import uuid4

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from halsosupport import audit, retention
from halsosupport.clock import Clock
from schemas.directory import EmployeeErased
from schemas.envelope import Channel, Source
from schemas.topics import DIRECTORY
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.adapters.tables import (
    Employee,
    Exemption,
    ExemptionChange,
    OutboxMessage,
    Placement,
    Spell,
    SpellChange,
)


class UnknownEmployee(LookupError):
    """No such employee (or already erased)."""


def erase_employee(
    *, uow: SqlUnitOfWork, clock: Clock, employee_id: str, caller: audit.Access
) -> int:
    """Delete everything intake holds on one employee and tell the other services; returns
    the rows deleted. The caller commits."""
    if uow.employee(employee_id, for_update=True) is None:
        raise UnknownEmployee(employee_id)
    now = clock.now()
    spell_ids = select(Spell.spell_id).where(col(Spell.employee_id) == employee_id)
    deleted = 0
    for statement in (
        sa.delete(SpellChange).where(col(SpellChange.spell_id).in_(spell_ids)),
        sa.delete(Spell).where(col(Spell.employee_id) == employee_id),
        sa.delete(Exemption).where(col(Exemption.employee_id) == employee_id),
        sa.delete(ExemptionChange).where(col(ExemptionChange.employee_id) == employee_id),
        sa.delete(Placement).where(col(Placement.employee_id) == employee_id),
        sa.delete(Employee).where(col(Employee.employee_id) == employee_id),
        sa.delete(OutboxMessage).where(col(OutboxMessage.key) == employee_id),
    ):
        deleted += uow.session.execute(statement).rowcount or 0
    erased = EmployeeErased(
        event_id=uuid4(),
        occurred_at=now,
        source=Source(channel=Channel.SYSTEM, registered_by=caller.subject),
        employee_id=employee_id,
    )
    uow.record_event(erased, at=now)
    uow.session.add(
        OutboxMessage(
            event_id=str(uuid4()), topic=DIRECTORY, key=employee_id, payload="", created_at=now
        )
    )
    audit.append(uow.session, caller, action="erase employee", employee_ids=[employee_id], at=now)
    return deleted


def purge(*, uow: SqlUnitOfWork, now: datetime, keep: retention.Retention) -> dict[str, int]:
    """Clear nurse notes and delete spells past their retention. The caller commits."""
    notes = 0
    for spell in uow.session.exec(
        select(Spell).where(col(Spell.note).is_not(None), col(Spell.well_from).is_not(None))
    ):
        if retention.note_due(
            registered_at=audit.as_utc(spell.registered_at),
            well_from=spell.well_from,
            now=now,
            days=keep.nurse_notes_days,
        ):
            spell.note = None
            uow.session.add(spell)
            notes += 1
    old = [
        s.spell_id
        for s in uow.session.exec(select(Spell).where(col(Spell.well_from).is_not(None)))
        if retention.spell_due(well_from=s.well_from, now=now, days=keep.spells_days)
    ]
    if old:
        uow.session.execute(sa.delete(SpellChange).where(col(SpellChange.spell_id).in_(old)))
        uow.session.execute(sa.delete(Spell).where(col(Spell.spell_id).in_(old)))
    return {"nurse_notes": notes, "spells": len(old)}


def purge_once(engine: Engine, clock: Clock, keep: retention.Retention) -> dict[str, int]:
    """One purge run in its own transaction (the scheduled loop and `halsosupport purge`)."""
    with SqlUnitOfWork(engine) as uow:
        purged = purge(uow=uow, now=clock.now(), keep=keep)
        uow.commit()
    return purged
