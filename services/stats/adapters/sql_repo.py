"""Unit of work over the stats read model."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, func, or_, select

from halsosupport.db import UnitOfWork
from services.stats.adapters.tables import (
    AppliedEvent,
    Department,
    Employee,
    Spell,
    TriggerRecord,
    Workplace,
)
from services.stats.domain import Org


class SqlUnitOfWork(UnitOfWork):
    """The stats service's queries in one transaction."""

    def already_applied(self, event_ids: list[str]) -> set[str]:
        query = select(AppliedEvent.event_id).where(col(AppliedEvent.event_id).in_(event_ids))
        return set(self.session.exec(query))

    def mark_applied(self, event_id: str) -> None:
        self.session.add(AppliedEvent(event_id=event_id))

    def upsert(self, row: Department | Workplace | Employee | Spell | TriggerRecord) -> None:
        self.session.merge(row)

    def spell(self, spell_id: str) -> Spell | None:
        return self.session.get(Spell, spell_id)

    def add(self, row: Spell | TriggerRecord) -> None:
        self.session.add(row)

    def remove_spell(self, spell_id: str) -> None:
        spell = self.session.get(Spell, spell_id)
        if spell is not None:
            self.session.delete(spell)

    def workplaces(self) -> list[Workplace]:
        return list(self.session.exec(select(Workplace).order_by(col(Workplace.workplace_id))))

    def headcount_by_workplace(self) -> dict[str, int]:
        rows = self.session.exec(
            select(Employee.workplace_id, func.count()).group_by(Employee.workplace_id)
        )
        return {workplace_id: int(n) for workplace_id, n in rows}

    def org(self) -> Org:
        workplaces = self.workplaces()
        departments = self.session.exec(select(Department)).all()
        return Org(
            workplace_department={w.workplace_id: w.department_id for w in workplaces},
            workplace_names={w.workplace_id: w.name for w in workplaces},
            department_names={d.department_id: d.name for d in departments},
            headcount=self.headcount_by_workplace(),
        )

    def spells_touching(self, first: date, last: date) -> list[Any]:
        """Spells going on at some time in [first, last], or registered then."""
        # Each branch can use its own index (well_from, its NULLs, reported_on). Plain rows,
        # not ORM objects: building thousands of those was most of a request's time.
        query = sa.select(Spell.__table__).where(  # type: ignore[attr-defined]
            or_(
                col(Spell.well_from) >= first,
                col(Spell.well_from).is_(None),
                (col(Spell.reported_on) >= first) & (col(Spell.reported_on) <= last),
            ),
            or_(col(Spell.sick_from) <= last, col(Spell.reported_on) <= last),
        )
        return list(self.session.connection().execute(query))

    def employees(self) -> list[Employee]:
        return list(self.session.exec(select(Employee)))

    def all_spells(self) -> list[Spell]:
        return list(self.session.exec(select(Spell)))

    def triggers(self) -> list[TriggerRecord]:
        return list(self.session.exec(select(TriggerRecord)))

    def workplaces_managed_by(self, manager_id: str) -> list[Workplace]:
        query = select(Workplace).where(
            or_(Workplace.manager_id == manager_id, Workplace.deputy_manager_id == manager_id)
        )
        return list(self.session.exec(query))
