"""One function per command: load, apply the domain's rules, save, queue the event."""

import uuid
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from schemas.directory import (
    EmployeeUpserted,
    Gender,
)
from schemas.directory import Placement as SchemaPlacement
from schemas.envelope import OrgRef, Source
from schemas.reports import (
    AbsenceType,
    ReasonVisibility,
    SickReported,
    SpellCorrected,
    SpellRetracted,
    WellReported,
)
from services.intake import domain
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.adapters.tables import (
    Employee,
    Spell,
    SpellChange,
)
from services.intake.ports import Clock
from services.intake.settings import IntakeSettings


@dataclass(frozen=True)
class EmployeeRef:
    """Who the report is about: the pseudonymous id, or a canonical personnummer."""

    employee_id: str | None = None
    personnummer: str | None = None


@dataclass(frozen=True)
class Registered:
    spell_id: str
    event_id: UUID


def _employee(uow: SqlUnitOfWork, ref: EmployeeRef, *, today: date) -> Employee:
    employee_id = ref.employee_id
    if employee_id is None and ref.personnummer is not None:
        employee_id = uow.employee_id_by_personnummer(ref.personnummer)
        if employee_id is None:
            raise domain.UnknownEmployee("no employee with that personnummer in the directory")
    if employee_id is None:
        raise domain.InvalidReport("give employee_id or personnummer")
    employee = uow.employee(employee_id, for_update=True)
    if employee is None:
        raise domain.UnknownEmployee(
            f"unknown employee {employee_id!r}; find the id with GET /v1/employees"
        )
    if employee.employed_to is not None and employee.employed_to < today:
        raise domain.UnknownEmployee(f"employee {employee_id!r} left on {employee.employed_to}")
    return employee


def org_on(uow: SqlUnitOfWork, employee: Employee, day: date) -> OrgRef:
    """The employee's unit on `day`, from the placement and department periods in force then,
    so an absence stays in the unit it happened in after a reorganisation."""
    workplace_id = next(
        (
            p.workplace_id
            for p in uow.placements_of(employee.employee_id)
            if p.valid_from <= day and (p.valid_to is None or day < p.valid_to)
        ),
        employee.workplace_id,
    )
    workplace = uow.workplace(workplace_id)
    assert workplace is not None  # a foreign key guarantees it
    department_id = next(
        (
            p.department_id
            for p in uow.periods_of(workplace_id)
            if p.valid_from <= day and (p.valid_to is None or day < p.valid_to)
        ),
        workplace.department_id,
    )
    return OrgRef(
        workplace_id=workplace_id, department_id=department_id, manager_id=workplace.manager_id
    )


def _views(spells: list[Spell], *, leave_out: str | None = None) -> list[domain.SpellView]:
    return [
        domain.SpellView(s.spell_id, AbsenceType(s.absence_type), s.sick_from, s.well_from)
        for s in spells
        if not s.retracted and s.spell_id != leave_out
    ]


def register_sick(
    *,
    uow: SqlUnitOfWork,
    clock: Clock,
    settings: IntakeSettings,
    who: EmployeeRef,
    report: domain.SickReport,
    source: Source,
) -> Registered:
    """Open a new spell and queue `SickReported`; the reason travels only when shared.
    The caller commits."""
    now = clock.now()
    today = domain.local_date(now)
    employee = _employee(uow, who, today=today)
    domain.check_sick_report(
        report,
        _views(uow.spells_of(employee.employee_id)),
        today=today,
        backdating_limit_days=settings.backdating_limit_days,
        reason_categories=settings.reason_categories,
    )
    spell = Spell(
        spell_id=str(uuid.uuid4()),
        employee_id=employee.employee_id,
        absence_type=report.absence_type.value,
        sick_from=report.sick_from,
        degree_percent=report.degree_percent,
        reason_category=report.reason_category,
        reason_visibility=report.reason_visibility.value,
        work_related=report.work_related,
        expected_return=report.expected_return,
        followup_on=report.followup_on or domain.default_followup(report.sick_from, today),
        note=report.note,
        channel=source.channel.value,
        registered_by=source.registered_by or "unknown",
        registered_at=now,
    )
    uow.add(spell)
    event = SickReported(
        event_id=uuid.uuid4(),
        occurred_at=now,
        source=source,
        employee_id=employee.employee_id,
        org=org_on(uow, employee, spell.sick_from),
        **_shareable_facts(spell),
    )
    uow.record_event(event, at=now)
    return Registered(spell_id=spell.spell_id, event_id=event.event_id)


def _shareable_facts(spell: Spell) -> dict[str, Any]:
    """The spell as events carry it: the reason only when the employee shared it."""
    visibility = ReasonVisibility(spell.reason_visibility)
    return {
        "spell_id": spell.spell_id,
        "absence_type": AbsenceType(spell.absence_type),
        "sick_from": spell.sick_from,
        "degree_percent": spell.degree_percent,
        "reason_category": spell.reason_category if visibility is ReasonVisibility.SHARED else None,
        "reason_visibility": visibility,
        "work_related": spell.work_related,
        "expected_return": spell.expected_return,
    }


def register_well(
    *, uow: SqlUnitOfWork, clock: Clock, who: EmployeeRef, well_from: date, source: Source
) -> Registered:
    """Close the open spell and queue `WellReported`. The caller commits."""
    now = clock.now()
    today = domain.local_date(now)
    employee = _employee(uow, who, today=today)
    spells = uow.spells_of(employee.employee_id)
    view = domain.open_spell_to_close(_views(spells), well_from, today=today)
    spell = next(s for s in spells if s.spell_id == view.spell_id)
    spell.well_from = well_from
    spell.well_registered_by = source.registered_by
    spell.well_registered_at = now
    uow.add(spell)
    event = WellReported(
        event_id=uuid.uuid4(),
        occurred_at=now,
        source=source,
        employee_id=employee.employee_id,
        org=org_on(uow, employee, spell.sick_from),
        spell_id=spell.spell_id,
        well_from=well_from,
    )
    uow.record_event(event, at=now)
    return Registered(spell_id=spell.spell_id, event_id=event.event_id)


CORRECTABLE = tuple(domain.SpellFacts.__dataclass_fields__)


def _facts(spell: Spell) -> domain.SpellFacts:
    return domain.SpellFacts(
        absence_type=AbsenceType(spell.absence_type),
        sick_from=spell.sick_from,
        well_from=spell.well_from,
        degree_percent=spell.degree_percent,
        reason_category=spell.reason_category,
        reason_visibility=ReasonVisibility(spell.reason_visibility),
        work_related=spell.work_related,
        expected_return=spell.expected_return,
        followup_on=spell.followup_on,
    )


def _spell_to_change(uow: SqlUnitOfWork, spell_id: str) -> tuple[Spell, Employee]:
    spell = uow.spell(spell_id)
    if spell is None:
        raise domain.UnknownSpell(f"unknown spell {spell_id!r}")
    if spell.retracted:
        raise domain.SpellConflict(
            "the spell was retracted; register a new report instead", spell_id
        )
    employee = uow.employee(spell.employee_id, for_update=True)
    assert employee is not None
    return spell, employee


def correct_spell(
    *,
    uow: SqlUnitOfWork,
    clock: Clock,
    settings: IntakeSettings,
    spell_id: str,
    changes: dict[str, Any],
    why: str,
    source: Source,
) -> Registered:
    """Change a spell's dates or facts, record who and why, queue `SpellCorrected` with the
    spell's whole new state. Extending a spell is a correction, not a new occasion."""
    unknown = sorted(set(changes) - set(CORRECTABLE))
    if unknown:
        raise domain.InvalidReport(f"cannot correct {', '.join(unknown)}")
    now = clock.now()
    spell, employee = _spell_to_change(uow, spell_id)
    before = _facts(spell)
    after = replace(before, **changes)
    domain.check_correction(
        before,
        after,
        _views(uow.spells_of(employee.employee_id), leave_out=spell_id),
        today=domain.local_date(now),
        reason_categories=settings.reason_categories,
    )
    for name in CORRECTABLE:
        value = getattr(after, name)
        setattr(spell, name, value.value if isinstance(value, Enum) else value)
    uow.add(spell)
    uow.add(_change(spell_id, "corrected", why, source, now, before, after))
    event = SpellCorrected(
        event_id=uuid.uuid4(),
        occurred_at=now,
        source=source,
        employee_id=employee.employee_id,
        org=org_on(uow, employee, spell.sick_from),
        well_from=spell.well_from,
        why=why,
        **_shareable_facts(spell),
    )
    uow.record_event(event, at=now)
    return Registered(spell_id=spell_id, event_id=event.event_id)


def retract_spell(
    *, uow: SqlUnitOfWork, clock: Clock, spell_id: str, why: str, source: Source
) -> Registered:
    """The spell was registered by mistake: keep it for the record, count it nowhere."""
    now = clock.now()
    spell, employee = _spell_to_change(uow, spell_id)
    before = _facts(spell)
    spell.retracted = True
    uow.add(spell)
    uow.add(_change(spell_id, "retracted", why, source, now, before, before))
    event = SpellRetracted(
        event_id=uuid.uuid4(),
        occurred_at=now,
        source=source,
        employee_id=employee.employee_id,
        org=org_on(uow, employee, spell.sick_from),
        spell_id=spell_id,
        why=why,
    )
    uow.record_event(event, at=now)
    return Registered(spell_id=spell_id, event_id=event.event_id)


def _change(
    spell_id: str,
    kind: str,
    why: str,
    source: Source,
    at: datetime,
    before: domain.SpellFacts,
    after: domain.SpellFacts,
) -> SpellChange:
    def as_json(facts: domain.SpellFacts) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(facts).items()}

    return SpellChange(
        spell_id=spell_id,
        kind=kind,
        why=why,
        by=source.registered_by or "unknown",
        at=at,
        before=as_json(before),
        after=as_json(after),
    )


def record_followup(
    *, uow: SqlUnitOfWork, clock: Clock, spell_id: str, outcome: str, by: str
) -> Spell:
    """The nurse's call-back happened: what came of it stays in intake."""
    spell = uow.spell(spell_id)
    if spell is None:
        raise domain.UnknownSpell(f"unknown spell {spell_id!r}")
    spell.followup_outcome = outcome
    spell.followup_by = by
    spell.followup_at = clock.now()
    uow.add(spell)
    return spell


def set_sms_opt_out(
    *, uow: SqlUnitOfWork, clock: Clock, employee_id: str, opted_out: bool, source: Source
) -> bool:
    """STOP and START by SMS; the notifier learns it from the directory. True if it changed."""
    employee = uow.employee(employee_id, for_update=True)
    if employee is None:
        raise domain.UnknownEmployee(f"unknown employee {employee_id!r}")
    if employee.sms_opt_out == opted_out:
        return False
    employee.sms_opt_out = opted_out
    uow.add(employee)
    uow.record_event(
        employee_upserted(uow, employee, at=clock.now(), source=source), at=clock.now()
    )
    return True


def employee_upserted(
    uow: SqlUnitOfWork, employee: Employee, *, at: datetime, source: Source
) -> EmployeeUpserted:
    """The employee's whole directory record as the notifier and stats receive it."""
    workplace = uow.workplace(employee.workplace_id)
    assert workplace is not None
    return EmployeeUpserted(
        event_id=uuid.uuid4(),
        occurred_at=at,
        source=source,
        employee_id=employee.employee_id,
        org=OrgRef(
            workplace_id=workplace.workplace_id,
            department_id=workplace.department_id,
            manager_id=workplace.manager_id,
        ),
        name=employee.name,
        email=employee.email,
        phone=employee.phone,
        employment_degree_percent=employee.employment_degree_percent,
        gender=Gender(employee.gender) if employee.gender else None,
        birth_year=employee.birth_year,
        employed_from=employee.employed_from,
        employed_to=employee.employed_to,
        placements=[
            SchemaPlacement(
                workplace_id=p.workplace_id, valid_from=p.valid_from, valid_to=p.valid_to
            )
            for p in uow.placements_of(employee.employee_id)
        ],
        sms_opt_out=employee.sms_opt_out,
    )
