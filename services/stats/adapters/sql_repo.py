"""Unit of work over the stats read model."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, func, or_, select

from halsosupport.db import UnitOfWork
from services.stats.adapters.tables import (
    AppliedEvent,
    CaseRecord,
    CauseDay,
    DayCountsState,
    Department,
    DepartmentDay,
    Employee,
    Spell,
    TriggerRecord,
    Workplace,
    WorkplaceDay,
)
from services.stats.day_counts import COUNTED, Placements, SpellFacts, Tally
from services.stats.domain import Org

SPELLS = Spell.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class SpellRow:
    """A row of the spell table (see tables.Spell), as the handlers change it."""

    spell_id: str
    employee_id: str
    workplace_id: str
    department_id: str
    absence_type: str
    sick_from: date
    well_from: date | None = None
    degree_percent: int = 100
    reason_category: str | None = None
    expected_return: date | None = None
    reported_on: date | None = None
    corrected: bool = False


class SqlUnitOfWork(UnitOfWork):
    """The stats service's queries in one transaction."""

    def already_applied(self, event_ids: list[str]) -> set[str]:
        query = select(AppliedEvent.event_id).where(col(AppliedEvent.event_id).in_(event_ids))
        return set(self.session.exec(query))

    def mark_applied(self, event_ids: list[str]) -> None:
        """One multi-row insert per batch rather than an ORM object per event."""
        if event_ids:
            self.session.execute(sa.insert(AppliedEvent), [{"event_id": e} for e in event_ids])

    def rekey_employee(self, employee_id: str, pseudonym: str) -> None:
        """Erasure: the person's spells and triggers stay, under `pseudonym`, without a name,
        so every count and figure stays the same and nothing leads back to them."""
        self.write_spells()
        self._spells.clear()  # their rows change under them
        known = self.session.get(Employee, employee_id)
        if known is not None:
            data = known.model_dump()
            self.session.delete(known)
            self.session.flush()
            self.session.add(Employee(**{**data, "employee_id": pseudonym, "name": ""}))
        for table in (Spell, TriggerRecord):
            self.session.execute(
                sa.update(table)
                .where(col(table.employee_id) == employee_id)
                .values(employee_id=pseudonym)
            )

    def upsert(self, row: Department | Workplace | Employee | TriggerRecord) -> None:
        self.session.merge(row)

    # --- spells: plain rows, written once per batch ------------------------------------------
    # A replay applies a spell's sick and well reports in the same batch: ORM objects built,
    # validated and flushed one by one were most of its time. The batch's spells are read in one
    # query, changed as frozen rows in memory, and written in one upsert and one delete.

    def __enter__(self) -> Self:
        self._spells: dict[str, SpellRow | None] = {}
        self._spells_written: set[str] = set()
        return super().__enter__()

    def preload_spells(self, spell_ids: set[str]) -> None:
        wanted = sorted(set(spell_ids) - set(self._spells))
        for chunk in range(0, len(wanted), 5_000):
            ids = wanted[chunk : chunk + 5_000]
            query = sa.select(SPELLS).where(SPELLS.c.spell_id.in_(ids))
            found = {r.spell_id: SpellRow(**r._mapping) for r in self.session.execute(query)}
            self._spells.update({spell_id: found.get(spell_id) for spell_id in ids})

    def spell(self, spell_id: str) -> SpellRow | None:
        if spell_id not in self._spells:
            self.preload_spells({spell_id})
        return self._spells[spell_id]

    def put_spell(self, spell: SpellRow) -> None:
        self._spells[spell.spell_id] = spell
        self._spells_written.add(spell.spell_id)

    def remove_spell(self, spell_id: str) -> None:
        self._spells[spell_id] = None
        self._spells_written.add(spell_id)

    def write_spells(self) -> None:
        """What the batch changed, before anything reads spells from the database."""
        if not self._spells_written:
            return
        rows = [self._spells[i] for i in sorted(self._spells_written)]
        gone = [i for i in sorted(self._spells_written) if self._spells[i] is None]
        if gone:
            self.session.execute(sa.delete(SPELLS).where(SPELLS.c.spell_id.in_(gone)))
        kept = [dict(vars(row)) for row in rows if row is not None]
        if kept:
            statement = self._upsert_insert()(SPELLS)
            statement = statement.on_conflict_do_update(
                index_elements=["spell_id"],
                set_={c: statement.excluded[c] for c in kept[0] if c != "spell_id"},
            )
            self.session.execute(statement, kept)
        self._spells_written.clear()

    def commit(self) -> None:
        self.write_spells()
        super().commit()

    def add(self, row: TriggerRecord) -> None:
        self.session.add(row)

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

    def cases_by_trigger(self) -> dict[str, CaseRecord]:
        return {c.trigger_id: c for c in self.session.exec(select(CaseRecord))}

    def workplaces_managed_by(self, manager_id: str) -> list[Workplace]:
        query = select(Workplace).where(
            or_(Workplace.manager_id == manager_id, Workplace.deputy_manager_id == manager_id)
        )
        return list(self.session.exec(query))

    # --- counts per workplace and day ---------------------------------------------------------

    def _upsert_insert(self) -> Any:
        """The dialect's INSERT, which alone knows ON CONFLICT (SQLite and PostgreSQL)."""
        dialect = self.session.get_bind().dialect.name
        return postgresql.insert if dialect == "postgresql" else sqlite.insert

    def counts_through(self) -> date | None:
        """The day open spells are counted up to, locking the row (PostgreSQL) so that two
        processes never move the counts forward twice; None before the counts were built."""
        self._add_rows(DayCountsState, [{"id": 1, "through": None}], ("id",), ())
        query = select(DayCountsState).where(DayCountsState.id == 1).with_for_update()
        return self.session.exec(query).one().through

    def set_counts_through(self, day: date | None) -> None:
        self.session.merge(DayCountsState(id=1, through=day))

    def clear_counts(self) -> None:
        for table in (WorkplaceDay, DepartmentDay, CauseDay):
            self.session.execute(sa.delete(table))

    def add_to_counts(self, tally: Tally, *, fresh: bool = False) -> None:
        """Add the tally's changes to the stored counts, creating the rows a day needs; the
        department sums change with them (a workplace not in the directory yet has none
        until it arrives: `move_workplace_counts`). `fresh`: the tables are empty, insert."""
        cells = tally.changed_cells()
        department_of = self._departments_of({w for w, _, _ in cells})
        per_department: defaultdict[tuple[str, date], list[int]] = defaultdict(
            lambda: [0] * len(COUNTED)
        )
        for workplace_id, day, values in cells:
            if workplace_id in department_of:
                summed = per_department[(department_of[workplace_id], day)]
                for i, value in enumerate(values):
                    summed[i] += value
        rows = {
            WorkplaceDay: [
                {"workplace_id": w, "day": d, **dict(zip(COUNTED, values, strict=True))}
                for w, d, values in cells
            ],
            DepartmentDay: [
                {"department_id": k, "day": d, **dict(zip(COUNTED, values, strict=True))}
                for (k, d), values in per_department.items()
            ],
        }
        causes = [
            {"day": d, "reason_category": r, "absent_sick": n} for d, r, n in tally.changed_causes()
        ]
        if fresh:
            for table, table_rows in (*rows.items(), (CauseDay, causes)):
                for chunk in range(0, len(table_rows), 50_000):
                    self.session.connection().execute(
                        sa.insert(table.__table__), table_rows[chunk : chunk + 50_000]
                    )
            return
        self._add_rows(WorkplaceDay, rows[WorkplaceDay], ("workplace_id", "day"), COUNTED)
        self._add_rows(DepartmentDay, rows[DepartmentDay], ("department_id", "day"), COUNTED)
        self._add_rows(CauseDay, causes, ("day", "reason_category"), ("absent_sick",))

    def _departments_of(self, workplace_ids: set[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        ids = sorted(workplace_ids)
        for chunk in range(0, len(ids), 5_000):
            query = select(Workplace.workplace_id, Workplace.department_id).where(
                col(Workplace.workplace_id).in_(ids[chunk : chunk + 5_000])
            )
            found.update(dict(self.session.exec(query).all()))
        return found

    def move_workplace_counts(
        self, workplace_id: str, old_department: str | None, new_department: str
    ) -> None:
        """A workplace joined the directory or moved department: its days' counts move from
        the old department's sums (if any) to the new one's."""
        table = WorkplaceDay.__table__  # type: ignore[attr-defined]
        moves = [(new_department, 1)] + ([(old_department, -1)] if old_department else [])
        for department_id, sign in moves:
            self._add_from_select(
                DepartmentDay,
                sa.select(
                    sa.literal(department_id), table.c.day, *(sign * table.c[m] for m in COUNTED)
                ).where(table.c.workplace_id == workplace_id),
                ("department_id", "day", *COUNTED),
                ("department_id", "day"),
                COUNTED,
            )

    def _add_from_select(
        self,
        table: Any,
        query: Any,
        columns: Sequence[str],
        key: Sequence[str],
        summed: Sequence[str],
    ) -> None:
        insert = self._upsert_insert()
        statement = insert(table.__table__).from_select(list(columns), query)
        statement = statement.on_conflict_do_update(
            index_elements=list(key),
            set_={c: getattr(table.__table__.c, c) + statement.excluded[c] for c in summed},
        )
        self.session.execute(statement)

    def _add_rows(
        self, table: Any, rows: list[dict[str, Any]], key: Sequence[str], summed: Sequence[str]
    ) -> None:
        if not rows:
            return
        insert = self._upsert_insert()
        statement = insert(table.__table__)
        if summed:
            statement = statement.on_conflict_do_update(
                index_elements=list(key),
                set_={c: getattr(table.__table__.c, c) + statement.excluded[c] for c in summed},
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(key))
        self.session.execute(statement, rows)

    def placements_of(self, employee_ids: set[str]) -> dict[str, Placements]:
        rows = self.session.exec(
            select(Employee.employee_id, Employee.placements).where(
                col(Employee.employee_id).in_(employee_ids)
            )
        )
        return {employee_id: Placements.from_json(placements) for employee_id, placements in rows}

    def open_spells(self) -> list[tuple[SpellFacts, Placements]]:
        spells = [
            SpellFacts.of(s)
            for s in self.session.exec(select(Spell).where(col(Spell.well_from).is_(None)))
        ]
        placements = self.placements_of({s.employee_id for s in spells})
        return [(s, placements.get(s.employee_id, Placements())) for s in spells]

    def spells_of(self, employee_id: str) -> list[SpellRow]:
        self.write_spells()
        query = sa.select(SPELLS).where(SPELLS.c.employee_id == employee_id)
        spells = [SpellRow(**r._mapping) for r in self.session.execute(query)]
        self._spells.update({s.spell_id: s for s in spells})
        return spells

    def every_spell_with_placements(self) -> list[tuple[SpellFacts, Placements]]:
        """For building the counts from nothing; plain rows, since there may be millions."""
        placements = {
            employee_id: Placements.from_json(rows)
            for employee_id, rows in self.session.connection().execute(
                sa.select(Employee.__table__.c.employee_id, Employee.__table__.c.placements)  # type: ignore[attr-defined]
            )
            if rows
        }
        none = Placements()
        return [
            (SpellFacts.of(row), placements.get(row.employee_id, none))
            for row in self.session.connection().execute(sa.select(Spell.__table__))  # type: ignore[attr-defined]
        ]

    def workplace_counts(self, day: date) -> list[tuple[str, tuple[int, ...]]]:
        table = WorkplaceDay.__table__  # type: ignore[attr-defined]
        query = sa.select(table.c.workplace_id, *(table.c[m] for m in COUNTED)).where(
            table.c.day == day
        )
        return [(row[0], tuple(row[1:])) for row in self.session.connection().execute(query)]

    def department_counts(
        self, first: date, last: date
    ) -> dict[date, list[tuple[str, tuple[int, ...]]]]:
        """Per day: (department, COUNTED sums of its workplaces)."""
        table = DepartmentDay.__table__  # type: ignore[attr-defined]
        query = sa.select(table.c.day, table.c.department_id, *(table.c[m] for m in COUNTED)).where(
            table.c.day >= first, table.c.day <= last
        )
        per_day: defaultdict[date, list[tuple[str, tuple[int, ...]]]] = defaultdict(list)
        for row in self.session.connection().execute(query):
            per_day[row[0]].append((row[1], tuple(row[2:])))
        return dict(per_day)

    def causes_on(self, day: date) -> dict[str, int]:
        query = select(CauseDay.reason_category, CauseDay.absent_sick).where(CauseDay.day == day)
        return {reason: n for reason, n in self.session.exec(query) if n}

    def data_quality_counts(self, day: date) -> dict[str, dict[str, int]]:
        """measure -> workplace -> count of overdue open spells, backdated and corrected ones."""
        conditions = {
            "overdue_well_reports": col(Spell.well_from).is_(None)
            & (col(Spell.expected_return) < day),
            "backdated": col(Spell.reported_on) > col(Spell.sick_from),
            "corrected": col(Spell.corrected),
        }
        return {
            measure: {
                workplace_id: int(n)
                for workplace_id, n in self.session.exec(
                    select(Spell.workplace_id, func.count())
                    .where(condition)
                    .group_by(Spell.workplace_id)
                )
            }
            for measure, condition in conditions.items()
        }
