"""The shipped policies, rule by rule, through the same pure engine the worker runs: reports
in, trigger events out, with time moved by hand."""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import (
    AbsenceType,
    ExemptionLifted,
    ExemptionSet,
    ReasonVisibility,
    SickReported,
    SpellRetracted,
    WellReported,
)
from schemas.triggers import RecipientRole, TriggerFired, TriggerWithdrawn
from services.triggers import domain
from services.triggers.handlers import EmployeeState, apply_report, tick
from services.triggers.policy import DEFAULT_POLICY, POLICY_DIR, InvalidPolicy, load_policy

HALSOSUPPORT = load_policy(DEFAULT_POLICY)
ORG = OrgRef(workplace_id="w1", department_id="d1", manager_id="m1")
SRC = Source(channel=Channel.NURSE, registered_by="n1")


def morning(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 7, tzinfo=UTC)


@dataclass
class Employee:
    """One employee's reports and the trigger events they cause, in order."""

    policy: object = HALSOSUPPORT
    state: EmployeeState = field(default_factory=EmployeeState)
    out: list = field(default_factory=list)
    spells: int = 0

    def _apply(self, event) -> list:
        self.state, produced = apply_report(self.state, event, self.policy)
        self.out.extend(produced)
        return produced

    def _envelope(self, day: date) -> dict:
        return {
            "event_id": uuid.uuid4(),
            "occurred_at": morning(day),
            "source": SRC,
            "employee_id": "e1",
            "org": ORG,
        }

    def sick(self, day, *, reported=None, kind="sick", reason=None, expected=None) -> str:
        self.spells += 1
        spell_id = f"s{self.spells:03d}"
        self._apply(
            SickReported(
                **self._envelope(reported or day),
                spell_id=spell_id,
                absence_type=AbsenceType(kind),
                sick_from=day,
                degree_percent=100,
                reason_category=reason,
                reason_visibility=ReasonVisibility.SHARED if reason else "withheld",
                expected_return=expected,
            )
        )
        return spell_id

    def well(self, spell_id: str, day: date, *, reported=None) -> list:
        return self._apply(
            WellReported(**self._envelope(reported or day), spell_id=spell_id, well_from=day)
        )

    def spell(self, day: date, days: int, **kw) -> str:
        spell_id = self.sick(day, **kw)
        self.well(spell_id, day + timedelta(days=days), reported=day + timedelta(days=days))
        return spell_id

    def retract(self, spell_id: str, day: date) -> list:
        return self._apply(SpellRetracted(**self._envelope(day), spell_id=spell_id, why="fel"))

    def exempt(self, rule_id: str, day: date, **kw) -> list:
        return self._apply(
            ExemptionSet(**self._envelope(day), rule_id=rule_id, decided_by="hr1", **kw)
        )

    def lift(self, rule_id: str, day: date) -> list:
        return self._apply(
            ExemptionLifted(**self._envelope(day), rule_id=rule_id, decided_by="hr1")
        )

    def tick(self, day: date) -> list:
        self.state, produced = tick(self.state, "e1", self.policy, morning(day))
        self.out.extend(produced)
        return produced

    def days(self, first: date, last: date) -> None:
        """A tick every morning, as the worker's timer gives."""
        while first <= last:
            self.tick(first)
            first += timedelta(days=1)

    def fired(self, rule_id: str | None = None) -> list[TriggerFired]:
        return [e for e in self.out if isinstance(e, TriggerFired) and rule_id in (None, e.rule_id)]

    def withdrawn(self) -> list[TriggerWithdrawn]:
        return [e for e in self.out if isinstance(e, TriggerWithdrawn)]


def monthly_spells(employee: Employee, count: int, start=date(2026, 1, 5), days=2) -> None:
    for n in range(count):
        employee.spell(start + timedelta(days=30 * n), days)


# --- halsosupport-2.0: the count rules ---------------------------------------------------------


def test_the_4th_5th_6th_and_8th_occasions_call_for_their_conversations():
    anna = Employee()
    monthly_spells(anna, 8)
    fired = [(e.rule_id, e.occasion_count) for e in anna.fired() if e.day_number is None]
    assert fired == [
        ("omtankesamtal", 4),
        ("hr_contact", 5),
        ("trepartssamtal", 6),
        ("hr_followup", 8),
    ]
    roles = {e.rule_id: e.recipient_roles for e in anna.fired()}
    assert roles["omtankesamtal"] == [RecipientRole.MANAGER]
    assert roles["hr_contact"] == [RecipientRole.HR_SPECIALIST]
    assert roles["trepartssamtal"] == [RecipientRole.REHAB_COORDINATOR, RecipientRole.MANAGER]
    omtanke = anna.fired("omtankesamtal")[0]
    assert omtanke.window_end == date(2026, 4, 5) and omtanke.due_on == date(2026, 4, 19)
    assert (
        "occasions 4 reached 4 in the 12 months window 2025-04-06 – 2026-04-05"
        in omtanke.explanation
    )


def test_vab_never_counts_as_sick_absence():
    anna = Employee()
    for n in range(6):
        anna.spell(date(2026, 1, 5) + timedelta(days=30 * n), 2, kind="vab")
    assert anna.fired("omtankesamtal") == []


def test_absence_ordered_by_the_covid_instructions_did_not_count_during_the_pandemic():
    pandemic = Employee()
    monthly_spells(pandemic, 3, start=date(2021, 1, 5))
    pandemic.spell(date(2021, 6, 1), 3, reason="covid_19")
    assert pandemic.fired("omtankesamtal") == []
    later = Employee()
    monthly_spells(later, 3, start=date(2023, 1, 5))
    later.spell(date(2023, 6, 1), 3, reason="covid_19")
    assert len(later.fired("omtankesamtal")) == 1


def test_the_10th_waiting_day_deduction_reaches_payroll_but_a_relapse_takes_none():
    anna = Employee()
    day = date(2026, 1, 5)
    for _ in range(9):
        anna.spell(day, 2)
        day += timedelta(days=30)
    anna.spell(day - timedelta(days=30) + timedelta(days=5), 1)  # within 5 days: a relapse
    assert anna.fired("karens_limit") == []
    anna.spell(day + timedelta(days=10), 2)
    (limit,) = anna.fired("karens_limit")
    assert limit.recipient_roles == [RecipientRole.PAYROLL] and limit.occasion_count == 10


# --- halsosupport-2.0: the day rules ------------------------------------------------------------


def test_an_open_spell_brings_each_fixed_day_in_turn():
    anna = Employee()
    anna.sick(date(2026, 1, 5))  # day 1
    anna.days(date(2026, 1, 5), date(2027, 1, 10))
    fired = [(e.rule_id, e.day_number, e.window_end) for e in anna.fired() if e.day_number]
    assert fired == [
        ("nurse_followup", 3, date(2026, 1, 7)),
        ("certificate_reminder", 6, date(2026, 1, 10)),
        ("fk_report_due", 15, date(2026, 1, 19)),
        ("rehab_investigation", 28, date(2026, 2, 1)),
        ("return_plan_due", 30, date(2026, 2, 3)),  # open, no expected return
        ("rehab_chain_checkpoint", 90, date(2026, 4, 4)),
        ("rehab_chain_checkpoint", 180, date(2026, 7, 3)),
        ("rehab_chain_checkpoint", 365, date(2027, 1, 4)),
    ]
    fk = anna.fired("fk_report_due")[0]
    assert fk.due_on == date(2026, 1, 25) and fk.recipient_roles == [RecipientRole.PAYROLL]
    assert anna.fired("certificate_reminder")[0].due_on == date(2026, 1, 12)  # day 8


def test_a_short_spell_brings_only_the_days_it_lasted():
    anna = Employee()
    spell_id = anna.sick(date(2026, 1, 5), expected=date(2026, 1, 9))
    anna.days(date(2026, 1, 5), date(2026, 1, 8))
    anna.well(spell_id, date(2026, 1, 9))
    anna.days(date(2026, 1, 9), date(2026, 2, 20))
    assert [e.rule_id for e in anna.fired()] == ["nurse_followup"]


def test_the_return_plan_is_asked_for_only_when_the_absence_is_expected_to_be_long():
    short = Employee()
    short.sick(date(2026, 1, 5), expected=date(2026, 2, 20))  # 46 days
    short.days(date(2026, 1, 5), date(2026, 2, 10))
    assert short.fired("return_plan_due") == []
    long = Employee()
    long.sick(date(2026, 1, 5), expected=date(2026, 3, 6))  # 60 days
    long.days(date(2026, 1, 5), date(2026, 2, 10))
    assert len(long.fired("return_plan_due")) == 1


def test_a_missing_well_report_reaches_the_employee_then_the_manager():
    anna = Employee()
    anna.sick(date(2026, 1, 5), expected=date(2026, 1, 8), kind="vab")
    anna.days(date(2026, 1, 5), date(2026, 1, 8))
    assert anna.fired("well_report_missing") == []  # the expected day itself: not yet
    anna.tick(date(2026, 1, 9))
    (first,) = anna.fired("well_report_missing")
    assert first.recipient_roles == [RecipientRole.EMPLOYEE]
    anna.days(date(2026, 1, 10), date(2026, 1, 11))
    (second,) = anna.fired("well_report_missing_manager")
    assert second.recipient_roles == [RecipientRole.MANAGER]
    assert second.window_end == date(2026, 1, 11)


def test_a_backdated_well_report_withdraws_a_reminder_that_had_no_basis():
    anna = Employee()
    spell_id = anna.sick(date(2026, 1, 5))
    anna.days(date(2026, 1, 5), date(2026, 1, 10))
    assert len(anna.fired("certificate_reminder")) == 1
    anna.well(spell_id, date(2026, 1, 9), reported=date(2026, 1, 11))  # back on day 5
    (withdrawn,) = anna.withdrawn()
    assert withdrawn.trigger_id == anna.fired("certificate_reminder")[0].trigger_id
    assert "no longer going on" in withdrawn.why


def test_the_timer_catches_up_after_downtime_but_not_on_an_old_replayed_past():
    anna = Employee()
    anna.sick(date(2026, 1, 5))
    anna.tick(date(2026, 1, 16))  # down from day 2 to day 12
    assert [e.rule_id for e in anna.fired()] == ["nurse_followup", "certificate_reminder"]
    old = Employee()
    old.sick(date(2024, 1, 5))
    old.tick(date(2026, 1, 16))  # all those days are far beyond catch_up_days
    assert [e.rule_id for e in old.fired()] == []


def test_day_rule_ids_are_the_same_whenever_and_however_often_they_are_computed():
    a, b = Employee(), Employee()
    for e in (a, b):
        e.sick(date(2026, 1, 5))
    a.days(date(2026, 1, 5), date(2026, 1, 20))
    b.tick(date(2026, 1, 20))
    b.tick(date(2026, 1, 20))
    assert sorted(e.trigger_id for e in a.fired()) == sorted(e.trigger_id for e in b.fired())


# --- exemptions and policy changes --------------------------------------------------------------


def test_an_exemption_suppresses_a_rule_or_raises_its_threshold_but_takes_nothing_back():
    suppressed = Employee()
    suppressed.exempt("omtankesamtal", date(2026, 1, 1), suppressed=True)
    monthly_spells(suppressed, 5)
    assert suppressed.fired("omtankesamtal") == []
    assert len(suppressed.fired("hr_contact")) == 1  # other rules still apply

    raised = Employee()
    raised.exempt("omtankesamtal", date(2026, 1, 1), threshold=6)
    monthly_spells(raised, 6)
    assert [e.occasion_count for e in raised.fired("omtankesamtal")] == [6]

    after = Employee()
    monthly_spells(after, 4)
    assert after.exempt("omtankesamtal", date(2026, 5, 1), threshold=6) == []
    assert after.withdrawn() == []


def test_an_exemption_ends_on_its_last_day_or_when_lifted():
    anna = Employee()
    anna.exempt(
        "certificate_reminder", date(2026, 1, 1), suppressed=True, valid_until=date(2026, 2, 1)
    )
    anna.sick(date(2026, 1, 5))
    anna.days(date(2026, 1, 5), date(2026, 1, 12))
    assert anna.fired("certificate_reminder") == []
    bertil = Employee()
    bertil.exempt("certificate_reminder", date(2026, 1, 1), suppressed=True)
    bertil.lift("certificate_reminder", date(2026, 1, 2))
    bertil.sick(date(2026, 1, 5))
    bertil.days(date(2026, 1, 5), date(2026, 1, 12))
    assert len(bertil.fired("certificate_reminder")) == 1


def test_a_new_policy_never_rewrites_what_the_old_one_fired(tmp_path):
    text = (POLICY_DIR / "six-in-twelve.toml").read_text(encoding="utf-8")
    newer = tmp_path / "six.toml"
    newer.write_text(text.replace('version = "1"', 'version = "2"\neffective_from = 2026-06-01'))
    anna = Employee(policy=load_policy(newer))
    monthly_spells(anna, 6)  # the 6th occasion starts 2026-06-03
    assert len(anna.fired("repeated_absence")) == 1
    bertil = Employee(policy=load_policy(newer))
    monthly_spells(bertil, 6, start=date(2025, 12, 1))  # 6th on 2026-04-30, before the change
    assert bertil.fired("repeated_absence") == []  # that crossing was the old policy's to judge
    bertil.retract("s001", date(2026, 6, 5))
    assert bertil.withdrawn() == []


# --- the other shipped policies -----------------------------------------------------------------


def test_six_in_twelve_fires_on_the_sixth_occasion_only():
    anna = Employee(policy=load_policy(POLICY_DIR / "six-in-twelve.toml"))
    monthly_spells(anna, 5)
    assert anna.fired() == []
    monthly_spells(anna, 1, start=date(2026, 7, 1))
    assert [(e.rule_id, e.occasion_count) for e in anna.fired()] == [("repeated_absence", 6)]


def test_three_short_spells_within_183_days():
    policy = load_policy(POLICY_DIR / "short-spells-183.toml")
    anna = Employee(policy=policy)
    anna.spell(date(2026, 1, 5), 3)
    anna.spell(date(2026, 2, 5), 20)  # long: does not count
    anna.spell(date(2026, 4, 1), 14)
    assert anna.fired() == []
    anna.spell(date(2026, 7, 1), 2)  # 1 Jan + 183 days: the third short one, in time
    assert [e.occasion_count for e in anna.fired()] == [3]
    bertil = Employee(policy=policy)
    for start in (date(2026, 1, 5), date(2026, 4, 1), date(2026, 7, 10)):  # 186 days apart
        bertil.spell(start, 2)
    assert bertil.fired() == []


def test_the_bradford_factor_crosses_its_bands_as_absence_accumulates():
    anna = Employee(policy=load_policy(POLICY_DIR / "bradford.toml"))
    anna.spell(date(2026, 1, 5), 5)  # S=1, D=5: 5
    anna.spell(date(2026, 2, 5), 5)  # S=2, D=10: 40
    assert anna.fired() == []
    anna.sick(date(2026, 3, 5))  # S=3 from day one: 9 × 11 = 99
    assert [(e.rule_id, e.window_end) for e in anna.fired()] == [
        ("bradford_review", date(2026, 3, 5))
    ]
    anna.days(date(2026, 3, 6), date(2026, 3, 31))  # 9 × D reaches 201 when D = 23
    assert [(e.rule_id, e.window_end) for e in anna.fired()][1:] == [
        ("bradford_warning", date(2026, 3, 17))
    ]
    assert "Bradford factor 207 reached 201" in anna.fired("bradford_warning")[0].explanation


# --- policy files -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(POLICY_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_policy_loads(path: Path):
    policy = load_policy(path)
    assert policy.rule_ids and policy.name == path.stem


def test_a_broken_policy_is_refused_with_each_line_and_reason(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(
        'name = "x"\nversion = "1"\n'
        '[[count_rules]]\nrule_id = "a"\nthreshold = 4\nwindow_months = 12\n'
        'recipient_roles = ["manager"]\n'
        '[[count_rules]]\nrule_id = "b"\nthreshold = 0\nwindow_months = 12\n'
        'recipient_roles = ["boss"]\n'
    )
    with pytest.raises(InvalidPolicy) as refused:
        load_policy(broken)
    message = str(refused.value)
    assert "line 10: count_rules.1.threshold: Input should be greater than or equal to 1" in message
    assert "line 12: count_rules.1.recipient_roles.0:" in message
    broken.write_text('name = "x"\nversion = "1"\nthreshhold = 4\n')
    with pytest.raises(InvalidPolicy, match="line 3: threshhold: Extra inputs"):
        load_policy(broken)
    broken.write_text("name = \n")
    with pytest.raises(InvalidPolicy, match="not valid TOML.*line 1"):
        load_policy(broken)
    with pytest.raises(InvalidPolicy, match="cannot read"):
        load_policy(tmp_path / "missing.toml")


# --- exactness under any arrival order ---------------------------------------------------------


@st.composite
def histories(draw):
    day = draw(st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 6, 1)))
    spells = []
    for _ in range(draw(st.integers(min_value=1, max_value=9))):
        day += timedelta(days=draw(st.integers(min_value=1, max_value=60)))
        length = draw(st.integers(min_value=1, max_value=40))
        spells.append((day, length))
        day += timedelta(days=length)
    return spells


@settings(max_examples=60, deadline=None)
@given(history=histories(), data=st.data())
def test_whatever_the_arrival_order_the_final_announcements_are_the_same(history, data):
    """Reports arriving late and shuffled end, once time has caught up, with the same set of
    live (announced and not withdrawn) triggers as reports arriving in order."""
    last = max(day + timedelta(days=length) for day, length in history)

    def live(employee: Employee) -> set[str]:
        withdrawn = {e.trigger_id for e in employee.withdrawn()}
        return {e.trigger_id for e in employee.fired()} - withdrawn

    in_order = Employee()
    for n, (day, length) in enumerate(history):
        in_order.sick(day)
        in_order.well(f"s{n + 1:03d}", day + timedelta(days=length))
    in_order.tick(last)

    shuffled = Employee()
    order = data.draw(st.permutations(range(len(history))))
    for n in order:
        day, length = history[n]
        shuffled.spells = n
        shuffled.sick(day, reported=last)
    for n in order:
        day, length = history[n]
        shuffled.well(f"s{n + 1:03d}", day + timedelta(days=length), reported=last)
    shuffled.tick(last)
    for employee in (in_order, shuffled):
        announced = [e for e in employee.fired() if e.trigger_id in live(employee)]
        for rule in HALSOSUPPORT.count_rules:
            occasion_list = domain.occasions(
                list(employee.state.spells.values()), HALSOSUPPORT, rule
            )
            episodes = domain.episodes(occasion_list, rule)
            days = [e.window_end for e in announced if e.rule_id == rule.rule_id]
            # Each episode of the full history announced exactly once, nothing outside them.
            assert [sum(1 for d in days if ep.covers(d)) for ep in episodes] == [1] * len(episodes)
            assert all(any(ep.covers(d) for ep in episodes) for d in days)
