"""The count rules: crossing semantics, re-arming, policy scope, and exactness under backdated,
out-of-order and replayed reports (DESIGN §4)."""

import json
import uuid
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.envelope import Channel, OrgRef, Source
from schemas.reports import (
    AbsenceType,
    ExemptionLifted,
    ExemptionSet,
    ReasonVisibility,
    SickReported,
    SpellCorrected,
    SpellRetracted,
    WellReported,
)
from schemas.triggers import TriggerFired
from services.triggers import domain
from services.triggers.domain import CountRule, Occasion, Policy, SpellFact
from services.triggers.handlers import EmployeeState, apply_report, tick
from services.triggers.policy import POLICY_DIR, load_policy
from services.triggers.windows import in_window
from tests.unit import reference_engine

OMTANKE = CountRule("omtankesamtal", 4, 12, ("manager",), 14)
POLICY = Policy("test", "1", (OMTANKE,))


def spell(n: int, sick_from: date, well_from: date | None = None, **kw) -> SpellFact:
    return SpellFact(f"s{n:03d}", kw.pop("absence_type", "sick"), sick_from, well_from, **kw)


def crossings(spells: list[SpellFact], policy: Policy = POLICY) -> list[date]:
    occasions = domain.occasions(spells, policy)
    return [e.crossed_on for e in domain.episodes(occasions, policy.count_rules[0])]


def test_the_fourth_occasion_within_twelve_months_fires_once():
    spells = [spell(i, date(2026, m, 1), date(2026, m, 3)) for i, m in enumerate([1, 3, 5, 7, 9])]
    assert crossings(spells) == [date(2026, 7, 1)]


def test_three_occasions_and_a_fourth_after_the_first_has_left_do_not_fire():
    spells = [spell(1, date(2025, 1, 10)), spell(2, date(2025, 6, 1)), spell(3, date(2025, 9, 1))]
    spells.append(spell(4, date(2026, 1, 10)))  # the first left on 2026-01-10
    assert crossings(spells) == []


def test_the_rule_rearms_when_the_count_falls_below_the_threshold_and_fires_again():
    firsts = [date(2025, 1, 5), date(2025, 2, 5), date(2025, 3, 5), date(2025, 4, 5)]
    later = [date(2026, 2, 20), date(2026, 3, 20)]  # the count fell to 0 in between
    spells = [
        spell(i, d) for i, d in enumerate(firsts + later + [date(2026, 4, 20), date(2026, 5, 1)])
    ]
    assert crossings(spells) == [date(2025, 4, 5), date(2026, 5, 1)]


def test_vab_and_excluded_reasons_do_not_count():
    policy = Policy("crisis", "1", (OMTANKE,), excluded_reason_categories=frozenset({"covid_19"}))
    spells = [
        spell(1, date(2026, 1, 1)),
        spell(2, date(2026, 2, 1)),
        spell(3, date(2026, 3, 1), absence_type="vab"),
        spell(4, date(2026, 4, 1), reason_category="covid_19"),
        spell(5, date(2026, 5, 1)),
    ]
    assert crossings(spells, policy) == []
    assert crossings(spells + [spell(6, date(2026, 6, 1))], policy) == [date(2026, 6, 1)]


def test_spells_within_the_merge_gap_are_one_occasion():
    policy = Policy("merge", "1", (OMTANKE,), merge_gap_days=5)
    spells = [
        spell(1, date(2026, 1, 1), date(2026, 1, 4)),
        spell(2, date(2026, 1, 8), date(2026, 1, 9)),  # 5 days after the last sick day (3 Jan)
        spell(3, date(2026, 3, 1), date(2026, 3, 2)),
        spell(4, date(2026, 5, 1), date(2026, 5, 2)),
    ]
    occasions = domain.occasions(spells, policy)
    assert [o.spell_ids for o in occasions] == [("s001", "s002"), ("s003",), ("s004",)]
    assert crossings(spells, policy) == []


def test_a_retracted_spell_does_not_count():
    spells = [spell(i, date(2026, i, 1)) for i in range(1, 5)]
    assert crossings(spells) == [date(2026, 4, 1)]
    spells[1] = SpellFact("s002", "sick", date(2026, 2, 1), retracted=True)
    assert crossings(spells) == []


def test_reconcile_keeps_a_firing_whose_basis_still_holds_and_withdraws_one_that_lost_it():
    occasions = domain.occasions([spell(i, date(2026, i, 1)) for i in range(1, 6)], POLICY)
    found = domain.episodes(occasions, OMTANKE)
    still = domain.FiredRecord("a", "omtankesamtal", date(2026, 5, 1))  # a later crossing day
    decision = domain.reconcile(found, [still], "omtankesamtal")
    assert decision.fire == () and decision.withdraw == ()
    lost = domain.FiredRecord("b", "omtankesamtal", date(2026, 3, 1))  # count was 3 then
    decision = domain.reconcile(found, [lost], "omtankesamtal")
    assert [d.trigger_id for d in decision.withdraw] == ["b"]
    assert [e.crossed_on for e in decision.fire] == [date(2026, 4, 1)]


def test_trigger_ids_are_deterministic_and_differ_per_policy_version():
    a = domain.trigger_id("e1", "omtankesamtal", "s4", "p@1")
    assert a == domain.trigger_id("e1", "omtankesamtal", "s4", "p@1")
    assert a != domain.trigger_id("e1", "omtankesamtal", "s4", "p@2")


# --- property-based: the sweep agrees with a day-by-day reading of DESIGN §4 -----------------


def oracle_crossings(occasions: list[Occasion], rule: CountRule) -> list[date]:
    """Walk every day: fire on a day an occasion starts if the count reached the threshold while
    armed; re-arm on any day the count is below it."""
    if not occasions:
        return []
    first = min(o.sick_from for o in occasions)
    last = max(o.sick_from for o in occasions) + timedelta(days=400)
    starts = {o.sick_from for o in occasions}
    armed, fired, day = True, [], first
    while day <= last:
        count = sum(1 for o in occasions if in_window(o.sick_from, day, rule.window_months))
        if count >= rule.threshold and armed and day in starts:
            fired.append(day)
            armed = False
        elif count < rule.threshold:
            armed = True
        day += timedelta(days=1)
    return fired


@st.composite
def spell_histories(draw, max_spells: int = 14):
    """Non-overlapping sick spells: gaps and lengths in days, as an employee's history."""
    day = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2024, 1, 1)))
    spells = []
    for n in range(draw(st.integers(min_value=0, max_value=max_spells))):
        day += timedelta(days=draw(st.integers(min_value=1, max_value=120)))
        length = draw(st.integers(min_value=1, max_value=20))
        kind = draw(st.sampled_from(["sick", "sick", "sick", "vab"]))
        spells.append(spell(n, day, day + timedelta(days=length), absence_type=kind))
        day += timedelta(days=length)
    return spells


@settings(max_examples=150, deadline=None)
@given(history=spell_histories(), threshold=st.integers(min_value=1, max_value=6))
def test_episodes_match_a_day_by_day_reading_of_the_rule(history, threshold):
    rule = CountRule("r", threshold, 12, ("manager",))
    occasions = domain.occasions(history, Policy("p", "1", (rule,)))
    assert [e.crossed_on for e in domain.episodes(occasions, rule)] == oracle_crossings(
        occasions, rule
    )


def sick_event(employee: str, s: SpellFact, at: datetime) -> SickReported:
    return SickReported(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"sick/{employee}/{s.spell_id}"),
        occurred_at=at,
        source=Source(channel=Channel.NURSE, registered_by="n1"),
        employee_id=employee,
        org=OrgRef(workplace_id="w1", department_id="d1", manager_id="m1"),
        spell_id=s.spell_id,
        absence_type=AbsenceType(s.absence_type),
        sick_from=s.sick_from,
        degree_percent=100,
        reason_visibility=ReasonVisibility.WITHHELD,
    )


def well_event(employee: str, s: SpellFact, at: datetime) -> WellReported:
    assert s.well_from is not None
    return WellReported(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"well/{employee}/{s.spell_id}"),
        occurred_at=at,
        source=Source(channel=Channel.NURSE, registered_by="n1"),
        employee_id=employee,
        org=OrgRef(workplace_id="w1", department_id="d1", manager_id="m1"),
        spell_id=s.spell_id,
        well_from=s.well_from,
    )


def run_stream(events, policy=POLICY):
    state, out = EmployeeState(), []
    for event in events:
        state, produced = apply_report(state, event, policy)
        out.extend(produced)
    return state, out


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 11, tzinfo=UTC)


def in_order(history, employee="e1"):
    events = []
    for s in history:
        events.append(sick_event(employee, s, at_noon(s.sick_from)))
        if s.well_from:
            events.append(well_event(employee, s, at_noon(s.well_from)))
    return events


@settings(max_examples=100, deadline=None)
@given(history=spell_histories())
def test_the_live_stream_announces_exactly_the_episodes_of_the_full_history(history):
    state, out = run_stream(in_order(history))
    occasions = domain.occasions(history, POLICY)
    expected = [e.crossed_on for e in domain.episodes(occasions, OMTANKE)]
    fired = [e for e in out if isinstance(e, TriggerFired)]
    assert [e.window_end for e in fired] == expected
    assert not [e for e in out if not isinstance(e, TriggerFired)], "nothing to withdraw"
    if history:  # firings older than the evaluation start are final and leave the state
        last_day = max(s.well_from or s.sick_from for s in history)
        recent = [d for d in expected if d >= domain.evaluation_start(last_day, POLICY)]
        assert sorted(f.crossed_on for f in state.fired.values()) == recent


@settings(max_examples=100, deadline=None)
@given(history=spell_histories(max_spells=8), data=st.data())
def test_reports_arriving_in_any_order_still_announce_each_episode(history, data):
    """Late and out-of-order reports: every episode of the full history ends up announced."""
    events = in_order(history)
    shuffled = data.draw(st.permutations(events))
    last = max((e.occurred_at for e in events), default=at_noon(date(2024, 1, 1)))
    # All arrive after the last one happened, in a shuffled order.
    arrived = [
        e.model_copy(update={"occurred_at": last + timedelta(hours=i)})
        for i, e in enumerate(shuffled)
    ]
    state, _ = run_stream(arrived)
    occasions = domain.occasions(history, POLICY)
    episodes = domain.episodes(occasions, OMTANKE)
    fired_days = [f.crossed_on for f in state.fired.values()]
    for episode in episodes:
        assert sum(1 for d in fired_days if episode.covers(d)) >= 1
    for day in fired_days:
        assert any(e.covers(day) for e in episodes), "a firing outside every episode"


@settings(max_examples=50, deadline=None)
@given(history=spell_histories())
def test_replaying_the_same_reports_into_empty_state_gives_the_same_trigger_events(history):
    events = in_order(history)
    assert run_stream(events)[1] == run_stream(events)[1]


def test_a_redelivered_report_changes_nothing():
    history = [spell(i, date(2026, i, 1), date(2026, i, 2)) for i in range(1, 5)]
    events = in_order(history)
    state, out = run_stream(events)
    again, produced = apply_report(state, events[-2], POLICY)  # the 4th SickReported again
    assert produced == [] and again == state
    assert len([e for e in out if isinstance(e, TriggerFired)]) == 1


def test_state_keeps_only_the_spells_that_can_still_matter():
    history = [spell(i, date(2015, 1, 1) + timedelta(days=60 * i), None) for i in range(60)]
    history = [
        SpellFact(s.spell_id, "sick", s.sick_from, s.sick_from + timedelta(days=2)) for s in history
    ]
    state, _ = run_stream(in_order(history))
    newest = max(s.sick_from for s in history)
    assert min(s.sick_from for s in state.spells.values()) > newest - timedelta(days=31 * 28)
    assert len(state.spells) < 20


def test_trigger_fired_explains_itself():
    history = [spell(i, date(2026, i, 1), date(2026, i, 3)) for i in range(1, 5)]
    _, out = run_stream(in_order(history))
    (fired,) = [e for e in out if isinstance(e, TriggerFired)]
    assert fired.rule_id == "omtankesamtal" and fired.policy_version == "test@1"
    assert fired.occasion_count == 4
    assert [o.sick_from for o in fired.occasions] == [date(2026, i, 1) for i in range(1, 5)]
    assert (fired.window_start, fired.window_end) == (date(2025, 4, 2), date(2026, 4, 1))
    assert fired.due_on == date(2026, 4, 15)  # reported on 1 April, due within 14 days
    assert fired.trigger_id == domain.trigger_id("e1", "omtankesamtal", "s004", "test@1")


def test_state_survives_its_json_form():
    history = [spell(i, date(2026, i, 1), date(2026, i, 3)) for i in range(1, 6)]
    state, _ = run_stream(in_order(history))
    assert EmployeeState.from_json(state.to_json()) == state


# --- property-based: the optimised engine decides exactly as the straightforward one ---------

REFERENCE_POLICIES = [
    load_policy(POLICY_DIR / name)
    for name in ("halsosupport-2.0.toml", "bradford.toml", "short-spells-183.toml")
] + [
    Policy(
        "kitchen-sink",
        "1",
        (
            CountRule("two", 2, 3, ("manager",), 14),
            CountRule("three_merged", 3, 6, ("hr_specialist",), merge_gap_days=5),
            CountRule("short", 2, 0, ("manager",), window_days=60, max_spell_days=7),
            CountRule("bradford", 40, 0, ("manager",), window_days=90, metric="bradford"),
        ),
        counted_absence_types=frozenset({"sick", "vab"}),
        excluded_reason_categories=frozenset({"other"}),
        merge_gap_days=2,
        day_rules=(
            domain.DayRule("day_two", (2, 5), ("nurse",), absence_types=frozenset({"sick", "vab"})),
            domain.DayRule("late", (1, 3), ("employee",), anchor="expected_return"),
            domain.DayRule("long", (4,), ("manager",), due_in_days=0, min_expected_days=10),
        ),
        reason_exclusions=(domain.ReasonExclusion("infection", date(2024, 3, 1), None),),
        effective_from=date(2024, 2, 1),
        catch_up_days=5,
    ),
]
RULE_IDS = sorted({r for p in REFERENCE_POLICIES for r in p.rule_ids})
NURSE = Source(channel=Channel.NURSE, registered_by="n1")
ORG = OrgRef(workplace_id="w1", department_id="d1", manager_id="m1")


@st.composite
def report_sequences(draw):
    """One employee's reports as the topic might hold them: sick, well, corrected and retracted
    spells (often backdated, on a few spell ids so they overwrite each other), exemptions set
    and lifted, redeliveries, and ticks of days with no report."""
    now = datetime(2023, 6, 1, 9, tzinfo=UTC) + timedelta(days=draw(st.integers(0, 400)))
    steps: list[object] = []
    for n in range(draw(st.integers(min_value=1, max_value=40))):
        now += timedelta(days=draw(st.integers(min_value=-3, max_value=45)), minutes=n)
        kind = draw(
            st.sampled_from(
                ["sick"] * 4
                + ["well"] * 3
                + ["correct", "retract"]
                + ["exempt", "lift", "tick", "tick", "again"]
            )
        )
        if kind == "again" and steps:
            steps.append(draw(st.sampled_from(steps)))
            continue
        if kind == "tick":
            steps.append(now)
            continue
        spell_id = f"s{draw(st.integers(min_value=0, max_value=7))}"
        common = {
            "event_id": uuid.UUID(int=draw(st.integers(0, 2**64))),
            "occurred_at": now,
            "source": NURSE,
            "employee_id": "e1",
            "org": ORG,
        }
        today = now.date()
        sick_from = today - timedelta(days=draw(st.integers(min_value=0, max_value=40)))
        if kind in ("exempt", "lift"):
            rule_id = draw(st.sampled_from(RULE_IDS))
            if kind == "lift":
                steps.append(ExemptionLifted(rule_id=rule_id, decided_by="hr", **common))
                continue
            suppressed = draw(st.booleans())
            steps.append(
                ExemptionSet(
                    rule_id=rule_id,
                    suppressed=suppressed,
                    decided_by="hr",
                    threshold=None if suppressed else draw(st.integers(min_value=1, max_value=60)),
                    valid_until=draw(st.none() | st.just(today + timedelta(days=30))),
                    **common,
                )
            )
        elif kind == "well":
            well_from = sick_from + timedelta(days=draw(st.integers(min_value=1, max_value=70)))
            steps.append(WellReported(spell_id=spell_id, well_from=well_from, **common))
        elif kind == "retract":
            steps.append(SpellRetracted(spell_id=spell_id, why="by mistake", **common))
        else:
            expected = draw(st.none() | st.integers(min_value=1, max_value=90))
            facts = {
                "spell_id": spell_id,
                "sick_from": sick_from,
                "degree_percent": 100,
                "absence_type": draw(st.sampled_from([AbsenceType.SICK] * 3 + [AbsenceType.VAB])),
                "reason_visibility": ReasonVisibility.SHARED,
                "reason_category": draw(st.sampled_from(["infection", "other", "covid_19"])),
                "expected_return": expected and sick_from + timedelta(days=expected),
            }
            if kind == "sick":
                steps.append(SickReported(**facts, **common))
            else:
                well_from = draw(
                    st.none() | st.just(sick_from + timedelta(days=draw(st.integers(1, 30))))
                )
                steps.append(SpellCorrected(well_from=well_from, why="typo", **facts, **common))
    return steps


@settings(max_examples=300, deadline=None)
@given(
    steps=report_sequences(),
    policy=st.sampled_from(REFERENCE_POLICIES),
    through_json=st.booleans(),
)
def test_the_engine_decides_exactly_as_the_reference_engine(steps, policy, through_json):
    """Same trigger events and the same state, report by report and tick by tick. With
    `through_json` the state goes through its JSON form between steps, as the worker keeps it."""
    state, expected_state = EmployeeState(), EmployeeState()
    for step in steps:
        if isinstance(step, datetime):
            state, out = tick(state, "e1", policy, step)
            expected_state, expected = reference_engine.tick(expected_state, "e1", policy, step)
        else:
            state, out = apply_report(state, step, policy)
            expected_state, expected = reference_engine.apply_report(expected_state, step, policy)
        assert out == expected
        assert state.to_json() == expected_state.to_json()
        if through_json:
            state = EmployeeState.from_json(json.loads(json.dumps(state.to_json())))
