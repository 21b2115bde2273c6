"""Unit of work over the stats read model."""

from datetime import date

from sqlmodel import col, func, or_, select

from halsosupport.db import UnitOfWork
from services.stats.adapters.tables import AppliedEvent, Department, Employee, Spell, Workplace


class SqlUnitOfWork(UnitOfWork):
    """The stats service's queries in one transaction."""

    def already_applied(self, event_ids: list[str]) -> set[str]:
        query = select(AppliedEvent.event_id).where(col(AppliedEvent.event_id).in_(event_ids))
        return set(self.session.exec(query))

    def mark_applied(self, event_id: str) -> None:
        self.session.add(AppliedEvent(event_id=event_id))

    def upsert(self, row: Department | Workplace | Employee | Spell) -> None:
        self.session.merge(row)

    def spell(self, spell_id: str) -> Spell | None:
        return self.session.get(Spell, spell_id)

    def add(self, row: Spell) -> None:
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

    def spells_open_on(self, day: date) -> list[Spell]:
        """Spells that cover `day`: begun on or before it and not ended before it."""
        query = select(Spell).where(
            col(Spell.sick_from) <= day,
            or_(col(Spell.well_from).is_(None), col(Spell.well_from) > day),
        )
        return list(self.session.exec(query))
