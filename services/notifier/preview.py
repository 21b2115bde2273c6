"""Every message the notifier can send, rendered with made-up data, so wording can be read and
reviewed as files (`halsosupport preview-messages`) and the tests render exactly what reviewers
read. All names, addresses and numbers here are obviously fake; no reason category appears
anywhere except as the line's own withheld wording.
"""

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from services.notifier.rendering import Renderer

EMPLOYEE_URL = "http://127.0.0.1:8000/console#employee=demo-employee-1"
LINE_NUMBER = "+46 10-000 00 00"
POLICY_VERSION = "halsosupport-2.0@demo"

_EMPLOYEE = {"employee_name": "Testa Testsson", "employee_url": EMPLOYEE_URL}
_PEOPLE = {
    "manager": "Chefa Exempelsson",
    "deputy_manager": "Vice Exempelsson",
    "hr_specialist": "Per Sonal-Demo",
    "rehab_coordinator": "Rehab Demosson",
    "occupational_health": "Företagshälsan Demo AB",
    "scheduler": "Schema Planerarsson",
    "payroll": "Lön Exempeldotter",
    "nurse": "Syster Demo",
    "employee": "Testa Testsson",
}

# Each rule the shipped policies name, with the roles they send it to and its day number (None:
# a count rule). Kept here rather than read from the triggers service: services share nothing
# but the event contracts.
TRIGGER_RULES: dict[str, tuple[tuple[str, ...], int | None, int | None]] = {
    # rule_id: (recipient roles, day number or None for a count rule, due in days or None)
    "omtankesamtal": (("manager", "hr_specialist"), None, 14),
    "hr_contact": (("hr_specialist", "manager"), None, 14),
    "trepartssamtal": (("rehab_coordinator", "manager"), None, 30),
    "hr_followup": (("hr_specialist", "manager"), None, 14),
    "karens_limit": (("payroll",), None, None),
    "nurse_followup": (("nurse",), 3, None),
    "certificate_reminder": (("employee", "manager"), 6, 2),
    "fk_report_due": (("payroll", "manager"), 15, 6),
    "rehab_investigation": (("manager", "hr_specialist"), 28, 14),
    "return_plan_due": (("manager", "rehab_coordinator"), 30, 0),
    "rehab_chain_checkpoint": (("manager", "rehab_coordinator"), 90, None),
    "well_report_missing": (("employee",), 1, None),
    "well_report_missing_manager": (("manager",), 3, None),
    "bradford_review": (("manager",), None, 14),
    "bradford_warning": (("manager", "hr_specialist"), None, 14),
    "bradford_final": (("hr_specialist",), None, 14),
    "repeated_absence": (("manager",), None, 14),
    "short_spells": (("manager",), None, 14),
    "demo_unknown_rule": (("manager", "scheduler"), None, 14),
}
TODAY = date(2026, 11, 16)
_COUNTS = {"hr_contact": 5, "trepartssamtal": 6, "hr_followup": 8, "karens_limit": 10}


def _person(role: str) -> dict[str, Any]:
    return {
        **_EMPLOYEE,
        "recipient_name": _PEOPLE.get(role, "Demo Mottagare"),
        "recipient_role": role,
    }


def sick_reported() -> dict[str, Any]:
    return {
        **_person("manager"),
        "reported_on": "2026-11-16",
        "sick_from": "2026-11-16",
        "absence": "Sjukdom",
        "absence_type": "sick",
        "degree_percent": 100,
        "reason": "Vill ej ange",
        "work_related": False,
        "expected_return": "2026-11-19",
    }


def well_reported() -> dict[str, Any]:
    return {**_person("manager"), "well_from": "2026-11-19", "sick_from": "2026-11-16"}


def scheduler_away() -> dict[str, Any]:
    return {**_person("scheduler"), "away_from": "2026-11-16", "expected_return": "2026-11-19"}


def scheduler_back() -> dict[str, Any]:
    return {**_person("scheduler"), "back_from": "2026-11-19"}


def trigger(rule_id: str, role: str) -> dict[str, Any]:
    """A firing as the domain words it: dates only, never a reason."""
    _roles, day_number, due_in_days = TRIGGER_RULES.get(rule_id, ((), None, None))
    if day_number is None:
        count = _COUNTS.get(rule_id, 4)
        occasions = [
            {"sick_from": f"2026-{month:02d}-02", "well_from": f"2026-{month:02d}-04"}
            for month in range(11 - count + 1, 11)
        ] + [{"sick_from": TODAY.isoformat(), "well_from": None}]
        window = (TODAY - timedelta(days=364), TODAY)
        explanation = (
            f"{POLICY_VERSION} {rule_id}: occasions {count} reached {count} in the 12 months "
            f"window {window[0]} – {window[1]}"
        )
    else:
        if "well_report" in rule_id:  # counted from the expected return, not the first day
            first, anchor = TODAY - timedelta(days=5), "after the expected return"
            window = (first, TODAY + timedelta(days=day_number))
        else:
            first, anchor = TODAY - timedelta(days=day_number - 1), "of absence"
            window = (first, TODAY)
        occasions = [{"sick_from": first.isoformat(), "well_from": None}]
        explanation = (
            f"{POLICY_VERSION} {rule_id}: day {day_number} {anchor} ({window[1]}) of the spell "
            f"from {window[0]}, still open that day"
        )
    due_on = None if due_in_days is None else window[1] + timedelta(days=due_in_days)
    return {
        **_person(role),
        "rule_id": rule_id,
        "occasion_count": len(occasions),
        "window_start": window[0].isoformat(),
        "window_end": window[1].isoformat(),
        "due_on": None if due_on is None else due_on.isoformat(),
        "occasions": occasions,
        "policy_version": POLICY_VERSION,
        "day_number": day_number,
        "explanation": explanation,
        "line_number": LINE_NUMBER,
    }


def trigger_withdrawn(role: str = "manager") -> dict[str, Any]:
    return {
        **_person(role),
        "rule_id": "omtankesamtal",
        "why": "the occasions counted on 2026-11-16 no longer reach the threshold",
    }


def case_action(item_kind: str = "activity", role: str = "manager") -> dict[str, Any]:
    return {
        **_person(role),
        "recipient_role": "case_owner",
        "case_id": "demo-case-1",
        "item_kind": item_kind,
        "due_on": (TODAY + timedelta(days=3)).isoformat(),
    }


def crisis_daily() -> dict[str, Any]:
    """Shaped like the stats service's GET /v1/stats/today, with withheld (null) cells."""

    def cell(count: int, headcount: int) -> int | None:
        return None if headcount < 10 or count < 5 else count  # the stats service's rule

    def workplace(n: int, name: str, headcount: int, sick: int, vab: int) -> dict[str, Any]:
        return {
            "workplace_id": f"demo-w{n}",
            "workplace_name": name,
            "department_id": "demo-d1",
            "headcount": headcount,
            "absent_sick": cell(sick, headcount),
            "absent_vab": cell(vab, headcount),
            "absent": cell(sick + vab, headcount),
        }

    return {
        "recipient_name": "krisledning@kommun.example",
        "line_number": LINE_NUMBER,
        "day": "2026-11-17",
        "figures": {
            "date": "2026-11-17",
            "min_group_size": 10,
            "min_cell_count": 5,
            "note": "null: withheld, the cell would describe too few people",
            "municipality": {
                "headcount": 5512,
                "absent_sick": 287,
                "absent_vab": 61,
                "absent": 348,
            },
            "workplaces": [
                workplace(1, "Demoskolan", 84, 9, 6),
                workplace(2, "Exempelgårdens äldreboende", 112, 11, 2),
                workplace(3, "Testvägens förskola", 7, 2, 1),
                workplace(4, "Påhittade hemtjänsten Norr", 46, 3, 1),
            ],
        },
    }


def sms_certificate_reminder() -> dict[str, Any]:
    fired = trigger("certificate_reminder", "employee")
    return {**fired, "sick_from": fired["window_start"]}


def sms_well_report_missing() -> dict[str, Any]:
    return {**trigger("well_report_missing", "employee"), "expected_return": TODAY.isoformat()}


def digest(renderer: Renderer, language: str) -> dict[str, Any]:
    """A morning digest of two ordinary messages, rendered as the sender renders them."""
    parts = [
        renderer.render("trigger", trigger("omtankesamtal", "manager"), language),
        renderer.render("well_reported", well_reported(), language),
    ]
    return {
        "recipient_name": _PEOPLE["manager"],
        "recipient_role": "manager",
        "day": "2026-11-17",
        "items": [{"subject": p.subject, "text": p.text} for p in parts],
    }


def cases(renderer: Renderer, language: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(file stem, template, context) for every template; every rule and role for triggers."""
    yield "sick_reported", "sick_reported", sick_reported()
    vab = {**sick_reported(), "absence": "Vård av barn (VAB)", "absence_type": "vab"}
    yield "sick_reported-vab", "sick_reported", {**vab, "degree_percent": 50, "work_related": True}
    yield "well_reported", "well_reported", well_reported()
    yield "scheduler_away", "scheduler_away", scheduler_away()
    yield "scheduler_back", "scheduler_back", scheduler_back()
    for rule_id, (roles, _day, _due) in TRIGGER_RULES.items():
        for role in roles:
            yield f"trigger-{rule_id}-{role}", "trigger", trigger(rule_id, role)
    yield "trigger_withdrawn", "trigger_withdrawn", trigger_withdrawn()
    yield "trigger_withdrawn-scheduler", "trigger_withdrawn", trigger_withdrawn("scheduler")
    for item_kind in ("conversation", "activity", "follow_up"):
        for when in ("due", "overdue"):
            template = f"case_action_{when}"
            yield f"{template}-{item_kind}", template, case_action(item_kind)
    yield (
        "case_action_due-rehab",
        "case_action_due",
        case_action("conversation", "rehab_coordinator"),
    )
    yield "digest", "digest", digest(renderer, language)
    yield "crisis_daily", "crisis_daily", crisis_daily()
    yield "sms_certificate_reminder", "sms_certificate_reminder", sms_certificate_reminder()
    yield "sms_well_report_missing", "sms_well_report_missing", sms_well_report_missing()


def render_all(out: Path, languages: list[str], renderer: Renderer | None = None) -> list[Path]:
    """Write `<out>/<language>/<case>.txt` (subject line, blank line, body) and `.html`."""
    renderer = renderer or Renderer()
    written: list[Path] = []
    for language in languages:
        folder = out / language
        folder.mkdir(parents=True, exist_ok=True)
        for stem, template, context in cases(renderer, language):
            rendered = renderer.render(template, context, language)
            text_path = folder / f"{stem}.txt"
            text_path.write_text(f"{rendered.subject}\n\n{rendered.text}", encoding="utf-8")
            written.append(text_path)
            if rendered.html is not None:
                html_path = folder / f"{stem}.html"
                html_path.write_text(rendered.html, encoding="utf-8")
                written.append(html_path)
    return written
