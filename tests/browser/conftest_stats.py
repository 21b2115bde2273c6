"""A small municipality for the stats pages' browser tests, as events on the broker.

Two departments of two 12-person workplaces each, and a night patrol of 4 (too small ever to
be shown), with 80 days of sick and VAB spells drawn from a fixed seed, so that the trend has a
shape and today has figures both shown and withheld. A few spells and triggers are written out
by hand where the manager's page must show something in particular.
"""

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schemas.directory import DepartmentUpserted, EmployeeUpserted, Gender, WorkplaceUpserted
from schemas.envelope import Channel, Event, OrgRef, Source
from schemas.reports import ReasonVisibility, SickReported, WellReported
from schemas.triggers import Occasion, RecipientRole, TriggerFired

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Sweden
TODAY = date(2026, 11, 23)
HISTORY_DAYS = 80
SWEDEN = ZoneInfo("Europe/Stockholm")
SOURCE = Source(channel=Channel.NURSE, registered_by="nurse-seed")
REASONS = ["respiratory_infection", "gastrointestinal", "musculoskeletal", "mental_ill_health"]

FIRST_NAMES = [
    "Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Sara", "Anders", "Emma", "Per",
    "Lena", "Mikael", "Elin", "Nils", "Ida", "Olof", "Frida", "Gustav", "Maja", "Henrik",
    "Linnea", "Oskar", "Sofia", "Viktor", "Hanna", "Axel",
]  # fmt: skip
LAST_NAMES = ["Lindqvist", "Berg", "Holm"]


@dataclass
class Spell:
    employee_id: str
    workplace_id: str
    department_id: str
    sick_from: date
    well_from: date | None  # None: still away
    absence_type: str = "sick"
    reason: str | None = None
    expected_return: date | None = None
    degree_percent: int = 100
    spell_id: str = field(default_factory=lambda: f"s-{uuid.uuid4().hex[:12]}")

    def away_on(self, day: date) -> bool:
        return self.sick_from <= day and (self.well_from is None or self.well_from > day)


@dataclass
class Town:
    """Everything published, and what the tests need to know about it."""

    run: str
    departments: dict[str, str]  # id -> name
    workplaces: dict[str, tuple[str, str, str]]  # id -> (name, department, manager)
    staff: dict[str, tuple[str, str]]  # employee id -> (name, workplace id)
    spells: list[Spell]
    triggers: list[TriggerFired]
    manager_id: str  # the manager whose page the test opens
    stranger_ids: set[str]  # away or with a trigger, but not the manager's: never on the page

    def managed(self, manager_id: str | None = None) -> set[str]:
        """The workplaces a manager (by default the one whose page is opened) acts for."""
        wanted = manager_id or self.manager_id
        return {w for w, (_, _, manager) in self.workplaces.items() if manager == wanted}

    def managers(self) -> set[str]:
        return {manager for _, _, manager in self.workplaces.values()}

    def away_today(self, manager_id: str) -> set[str]:
        units = self.managed(manager_id)
        return {
            s.employee_id
            for s in self.spells
            if s.away_on(TODAY) and self.staff[s.employee_id][1] in units
        }

    def triggered_for(self, manager_id: str) -> set[str]:
        """Who has an open trigger waiting for the manager."""
        return {t.employee_id for t in self.triggers if t.org.manager_id == manager_id}

    def events(self) -> list[Event]:
        return [*self._directory(), *self._reports(), *self.triggers]

    def _directory(self) -> list[Event]:
        events: list[Event] = [
            DepartmentUpserted(
                event_id=uuid.uuid4(), occurred_at=NOW, source=SOURCE, department_id=d, name=n
            )
            for d, n in self.departments.items()
        ]
        events += [
            WorkplaceUpserted(
                event_id=uuid.uuid4(),
                occurred_at=NOW,
                source=SOURCE,
                workplace_id=w,
                name=name,
                department_id=department,
                manager_id=manager,
            )
            for w, (name, department, manager) in self.workplaces.items()
        ]
        for employee_id, (name, workplace_id) in self.staff.items():
            _, department, manager = self.workplaces[workplace_id]
            events.append(
                EmployeeUpserted(
                    event_id=uuid.uuid4(),
                    occurred_at=NOW,
                    source=SOURCE,
                    employee_id=employee_id,
                    org=OrgRef(
                        workplace_id=workplace_id, department_id=department, manager_id=manager
                    ),
                    name=name,
                    gender=Gender.WOMAN if len(events) % 2 else Gender.MAN,
                    birth_year=1960 + len(events) % 40,
                    employed_from=date(2015, 1, 1),
                )
            )
        return events

    def _reports(self) -> list[Event]:
        events: list[Event] = []
        for s in self.spells:
            org = OrgRef(workplace_id=s.workplace_id, department_id=s.department_id)
            shared = s.reason is not None
            events.append(
                SickReported(
                    event_id=uuid.uuid4(),
                    occurred_at=_morning(s.sick_from),
                    source=SOURCE,
                    employee_id=s.employee_id,
                    org=org,
                    spell_id=s.spell_id,
                    absence_type=s.absence_type,
                    sick_from=s.sick_from,
                    degree_percent=s.degree_percent,
                    reason_category=s.reason,
                    reason_visibility=(
                        ReasonVisibility.SHARED if shared else ReasonVisibility.WITHHELD
                    ),
                    expected_return=s.expected_return,
                )
            )
            if s.well_from is not None:
                events.append(
                    WellReported(
                        event_id=uuid.uuid4(),
                        occurred_at=_morning(s.well_from),
                        source=SOURCE,
                        employee_id=s.employee_id,
                        org=org,
                        spell_id=s.spell_id,
                        well_from=s.well_from,
                    )
                )
        return events


def _morning(day: date) -> datetime:
    """When the line takes most calls: the report is dated the day it was made, in Sweden."""
    return datetime.combine(day, time(7, 10), SWEDEN).astimezone(UTC)


def build_town(run: str, seed: int = 20261123) -> Town:
    """The same municipality every run; `run` only makes the ids unique on a shared broker."""
    rng = random.Random(seed)
    care, school = f"d-omsorg-{run}", f"d-skola-{run}"
    maria, olof = f"chef-maria-{run}", f"chef-olof-{run}"
    karin, sven = f"chef-karin-{run}", f"chef-sven-{run}"
    solgarden, hemtjanst, natt = f"w-solg-{run}", f"w-hemtj-{run}", f"w-natt-{run}"
    ekbacken, norra = f"w-ekb-{run}", f"w-norra-{run}"
    departments = {care: "Vård och omsorg", school: "Barn och utbildning"}
    workplaces = {
        solgarden: ("Solgårdens äldreboende", care, maria),
        hemtjanst: ("Hemtjänst Centrum", care, olof),
        natt: ("Nattpatrullen", care, maria),
        ekbacken: ("Ekbackens förskola", school, karin),
        norra: ("Norra skolan", school, sven),
    }
    sizes = {solgarden: 12, hemtjanst: 12, natt: 4, ekbacken: 12, norra: 12}
    # Unique up to 78 people: the pairs of (n mod 26, n mod 3) repeat only after that.
    names = (f"{FIRST_NAMES[n % 26]} {LAST_NAMES[n % 3]}" for n in range(78))
    staff: dict[str, tuple[str, str]] = {}
    for workplace_id, size in sizes.items():
        for n in range(size):
            staff[f"e-{workplace_id}-{n:02d}"] = (next(names), workplace_id)

    def spell(employee_id: str, **facts: object) -> Spell:
        workplace_id = staff[employee_id][1]
        department = workplaces[workplace_id][1]
        return Spell(employee_id, workplace_id, department, **facts)  # type: ignore[arg-type]

    # Written out: what the manager's page has to show (and, at Hemtjänst, must not).
    overdue, vab_child, night = (
        f"e-{solgarden}-00",
        f"e-{solgarden}-01",
        f"e-{natt}-00",
    )
    stranger = f"e-{hemtjanst}-00"
    scripted = [
        spell(overdue, sick_from=TODAY - timedelta(days=9), well_from=None,
              reason="musculoskeletal", expected_return=TODAY - timedelta(days=2)),
        spell(vab_child, sick_from=TODAY - timedelta(days=1), well_from=None,
              absence_type="vab", expected_return=TODAY + timedelta(days=2)),
        spell(night, sick_from=TODAY - timedelta(days=3), well_from=None, degree_percent=50),
        spell(stranger, sick_from=TODAY - timedelta(days=12), well_from=None,
              expected_return=TODAY - timedelta(days=5)),
        spell(f"e-{solgarden}-02", sick_from=TODAY - timedelta(days=6),
              well_from=TODAY - timedelta(days=2)),  # back: not away any more
    ]  # fmt: skip
    spells = list(scripted)
    # Drawn: everyone else is off for 2-12 days every 4-30 days.
    for employee_id in staff:
        if employee_id in {s.employee_id for s in scripted}:
            continue
        day = TODAY - timedelta(days=HISTORY_DAYS + rng.randint(0, 20))
        while True:
            day += timedelta(days=rng.randint(4, 30))
            if day > TODAY:
                break
            well = day + timedelta(days=rng.randint(2, 12))
            vab = rng.random() < 0.2
            shared = not vab and rng.random() < 0.6
            spells.append(
                spell(
                    employee_id,
                    sick_from=day,
                    well_from=well if well <= TODAY else None,
                    absence_type="vab" if vab else "sick",
                    reason=rng.choice(REASONS) if shared else None,
                    expected_return=well if well > TODAY else None,
                )
            )
            day = well
    triggers = [
        _trigger(spells, overdue, staff, workplaces, "omtankesamtal", TODAY - timedelta(days=4),
                 due=TODAY + timedelta(days=10)),
        _trigger(spells, night, staff, workplaces, "trepartssamtal", TODAY - timedelta(days=35),
                 due=TODAY - timedelta(days=5)),
        _trigger(spells, stranger, staff, workplaces, "omtankesamtal", TODAY - timedelta(days=3),
                 due=TODAY + timedelta(days=11)),
    ]  # fmt: skip
    return Town(
        run=run,
        departments=departments,
        workplaces=workplaces,
        staff=staff,
        spells=spells,
        triggers=triggers,
        manager_id=maria,
        stranger_ids={stranger},
    )


def _trigger(
    spells: list[Spell],
    employee_id: str,
    staff: dict[str, tuple[str, str]],
    workplaces: dict[str, tuple[str, str, str]],
    rule_id: str,
    fired_on: date,
    *,
    due: date,
) -> TriggerFired:
    workplace_id = staff[employee_id][1]
    _, department, manager = workplaces[workplace_id]
    own = [s for s in spells if s.employee_id == employee_id]
    return TriggerFired(
        event_id=uuid.uuid4(),
        occurred_at=_morning(fired_on),
        source=Source(channel=Channel.SYSTEM, registered_by="triggers"),
        employee_id=employee_id,
        org=OrgRef(workplace_id=workplace_id, department_id=department, manager_id=manager),
        trigger_id=f"t-{uuid.uuid4().hex[:12]}",
        rule_id=rule_id,
        policy_version="halsosupport-2.0/2",
        occasion_count=len(own),
        window_start=fired_on - timedelta(days=365),
        window_end=fired_on,
        spell_ids=[s.spell_id for s in own],
        occasions=[Occasion(spell_id=s.spell_id, sick_from=s.sick_from) for s in own],
        due_on=due,
        recipient_roles=[RecipientRole.MANAGER],
    )
