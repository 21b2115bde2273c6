"""The notifier's words: every template in every language, strict about missing data, escaped in
HTML, and never a withheld reason, whoever reads it."""

import re
from pathlib import Path
from typing import Any

import pytest
from jinja2 import TemplateNotFound, UndefinedError
from typer.testing import CliRunner

from halsosupport.cli import app
from schemas.reasons import REASON_LABELS_SV, WITHHELD_SV
from schemas.reports import ReasonVisibility
from services.notifier import domain, preview
from services.notifier.rendering import REASON_EN, Rendered, Renderer

RENDERER = Renderer()
LANGUAGES = ["sv", "en"]
HOSTILE = '<script>alert("x")</script>'


def all_cases(language: str) -> list[tuple[str, str, dict[str, Any]]]:
    return list(preview.cases(RENDERER, language))


def outputs(rendered: Rendered) -> str:
    return "\n".join([rendered.subject, rendered.text, rendered.html or ""])


def test_both_languages_have_every_template_and_the_demo_covers_them_all():
    assert RENDERER.languages() == sorted(LANGUAGES)
    sv = {p.name for p in (RENDERER.directory / "sv").glob("*.j2")}
    en = {p.name for p in (RENDERER.directory / "en").glob("*.j2")}
    assert sv == en
    assert {template for _, template, _ in all_cases("sv")} == set(RENDERER.templates())
    assert set(RENDERER.templates()) >= {
        "sick_reported",
        "well_reported",
        "scheduler_away",
        "scheduler_back",
        "trigger",
        "trigger_withdrawn",
        "digest",
        "crisis_daily",
        "sms_certificate_reminder",
        "sms_well_report_missing",
    }


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_renders_with_the_demo_data(language):
    for stem, template, context in all_cases(language):
        rendered = RENDERER.render(template, context, language)
        assert rendered.subject and "\n" not in rendered.subject, stem
        assert rendered.text.strip(), stem
        assert "None" not in outputs(rendered), stem  # an optional field printed raw
        if template.startswith("sms_"):
            assert rendered.html is None, stem
        else:
            assert rendered.html is not None and rendered.html.startswith("<!DOCTYPE html>"), stem
            assert f'<html lang="{language}">' in rendered.html, stem


@pytest.mark.parametrize("language", LANGUAGES)
def test_optional_fields_may_be_empty(language):
    cases = [
        ("sick_reported", {**preview.sick_reported(), "expected_return": None}),
        ("well_reported", {**preview.well_reported(), "sick_from": None}),
        ("scheduler_away", {**preview.scheduler_away(), "expected_return": None}),
        ("trigger", {**preview.trigger("omtankesamtal", "manager"), "due_on": None}),
        ("trigger", {**preview.trigger("fk_report_due", "payroll"), "explanation": ""}),
        ("digest", {**preview.digest(RENDERER, language), "items": []}),
    ]
    for template, context in cases:
        rendered = RENDERER.render(template, context, language)
        assert "None" not in outputs(rendered), template
    expected = RENDERER.render("sick_reported", cases[0][1], language).text
    assert ("Ej angivet" if language == "sv" else "Not given") in expected


@pytest.mark.parametrize(
    ("template", "context", "missing"),
    [
        ("sick_reported", preview.sick_reported(), "reason"),
        ("sick_reported", preview.sick_reported(), "employee_name"),
        ("well_reported", preview.well_reported(), "employee_url"),
        ("scheduler_away", preview.scheduler_away(), "expected_return"),
        ("scheduler_back", preview.scheduler_back(), "back_from"),
        ("trigger", preview.trigger("omtankesamtal", "manager"), "due_on"),
        ("trigger", preview.trigger("karens_limit", "payroll"), "occasions"),
        ("trigger_withdrawn", preview.trigger_withdrawn(), "why"),
        ("crisis_daily", preview.crisis_daily(), "figures"),
        ("sms_certificate_reminder", preview.sms_certificate_reminder(), "line_number"),
        ("sms_well_report_missing", preview.sms_well_report_missing(), "line_number"),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_missing_field_is_an_error_not_a_blank(template, context, missing, language):
    RENDERER.render(template, context, language)
    with pytest.raises(UndefinedError):
        RENDERER.render(template, {k: v for k, v in context.items() if k != missing}, language)


def test_digest_without_items_is_an_error():
    context = preview.digest(RENDERER, "sv")
    del context["items"]
    with pytest.raises(UndefinedError):
        RENDERER.render("digest", context)


def test_unknown_languages_fall_back_to_swedish_and_regional_tags_are_understood():
    context = preview.well_reported()
    swedish = RENDERER.render("well_reported", context)
    assert swedish.subject.startswith("Friskanmälan")
    assert RENDERER.render("well_reported", context, "fi") == swedish
    assert RENDERER.render("well_reported", context, "") == swedish
    assert RENDERER.render("well_reported", context, "en-GB").subject.startswith("Back at work")


def test_only_message_templates_can_be_rendered():
    for name in ["_words", "../sv/_words", "nonexistent"]:
        with pytest.raises(TemplateNotFound):
            RENDERER.render(name, {})


# --- confidentiality --------------------------------------------------------------------------

SECRET_CATEGORY = "mental_ill_health"
SECRET_WORDS = [
    SECRET_CATEGORY,
    REASON_LABELS_SV[SECRET_CATEGORY],
    REASON_EN[REASON_LABELS_SV[SECRET_CATEGORY]],
    "psykisk",
    "mental",
]


def leaks(text: str) -> list[str]:
    folded = text.casefold()
    found = [word for word in SECRET_WORDS if word.casefold() in folded]
    # Every other reason name too: with a withheld reason there is none to show at all.
    found += [label for label in REASON_LABELS_SV.values() if re.search(rf"\b{label}\b", text)]
    return found


def withheld_cases(language: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every case, the sick report carrying what the domain passes for a withheld reason."""
    shown = domain.reason_text(ReasonVisibility.WITHHELD, SECRET_CATEGORY)
    assert shown == WITHHELD_SV
    cases = []
    for stem, template, context in all_cases(language):
        if "reason" in context:
            context = {**context, "reason": shown}
        cases.append((stem, template, context))
    return cases


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_withheld_reason_appears_in_no_message_of_any_template(language):
    cases = withheld_cases(language)
    assert not leaks(repr(cases)), "the inputs themselves must not carry the secret"
    assert any(c.get("reason") == WITHHELD_SV for _, _, c in cases)
    for stem, template, context in cases:
        rendered = RENDERER.render(template, context, language)
        assert leaks(outputs(rendered)) == [], stem
    manager_mail = RENDERER.render("sick_reported", cases[0][2], language).text
    assert ("Vill ej ange" if language == "sv" else "Not disclosed") in manager_mail


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_leak_check_would_catch_a_shown_reason(language):
    """The check above is not vacuous: a reason that is shown is found."""
    shared = {**preview.sick_reported(), "reason": REASON_LABELS_SV[SECRET_CATEGORY]}
    assert leaks(outputs(RENDERER.render("sick_reported", shared, language)))


SCHEDULER_NEVER = [
    "sjuk",
    "sick",
    "vab",
    "barn",
    "child",
    "%",
    "orsak",
    "reason",
    "cause",
    "omfattning",
    "degree",
    "vill ej ange",
    "not disclosed",
    "sekretess",
    "confidential",
    "läkarintyg",
    "certificate",
    "omtankesamtal",
    "rehab",
    "karens",
    "bradford",
    "console#employee",  # the manager's view of the employee
]


def scheduler_cases() -> list[tuple[str, dict[str, Any]]]:
    """Each message a scheduler can get. The manager's fields ride along, as if a planner
    over-shared: the templates must not print them."""
    oversharing = {
        "absence": "Vård av barn (VAB)",
        "absence_type": "vab",
        "degree_percent": 50,
        "reason": REASON_LABELS_SV[SECRET_CATEGORY],
        "work_related": True,
    }
    cases = [
        ("scheduler_away", {**preview.scheduler_away(), **oversharing}),
        ("scheduler_back", {**preview.scheduler_back(), **oversharing}),
        ("trigger_withdrawn", {**preview.trigger_withdrawn("scheduler"), **oversharing}),
    ]
    for rule_id in preview.TRIGGER_RULES:
        cases.append(("trigger", {**preview.trigger(rule_id, "scheduler"), **oversharing}))
    return cases


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_scheduler_learns_who_and_until_when_never_why(language):
    for template, context in scheduler_cases():
        rendered = RENDERER.render(template, context, language)
        found = [word for word in SCHEDULER_NEVER if word in outputs(rendered).casefold()]
        assert found == [], (template, context.get("rule_id"))
        assert "Testa Testsson" in rendered.text
    away = RENDERER.render("scheduler_away", preview.scheduler_away(), language).text
    assert "2026-11-16" in away and "2026-11-19" in away


# --- HTML ---------------------------------------------------------------------------------------


def hostile(context: dict[str, Any]) -> dict[str, Any]:
    """Every free-text field a person or another service controls, made into markup."""
    changed = dict(context)
    for key in [
        "employee_name",
        "recipient_name",
        "why",
        "explanation",
        "reason",
        "policy_version",
    ]:
        if key in changed:
            changed[key] = HOSTILE
    if "items" in changed:
        changed["items"] = [{"subject": HOSTILE, "text": HOSTILE}]
    if "figures" in changed:
        places = [{**w, "workplace_name": HOSTILE} for w in changed["figures"]["workplaces"]]
        changed["figures"] = {**changed["figures"], "workplaces": places}
    return changed


@pytest.mark.parametrize("language", LANGUAGES)
def test_names_and_free_text_are_escaped_in_html_and_left_alone_in_text(language):
    escaped = "&lt;script&gt;"
    for stem, template, context in all_cases(language):
        rendered = RENDERER.render(template, hostile(context), language)
        if rendered.html is None:
            continue
        assert "<script" not in rendered.html, stem
        assert escaped in rendered.html, stem
        if template != "crisis_daily":  # the crisis text table shortens long names
            assert HOSTILE in rendered.text, stem  # plain text is not HTML: no entities


def test_the_html_link_points_at_the_managers_view_and_cannot_break_out_of_its_attribute():
    context = {**preview.sick_reported(), "employee_url": 'http://x/"><script>alert(1)</script>'}
    html = RENDERER.render("sick_reported", context).html or ""
    assert "<script" not in html and 'href="http://x/&#34;&gt;&lt;script&gt;' in html


# --- what each message says ---------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_manager_mails_say_they_do_not_replace_the_managers_own_contact(language):
    line = {
        "sv": "ersätter inte din egen kontakt med medarbetaren",
        "en": "does not replace your own contact with the employee",
    }[language]
    for template, context in [
        ("sick_reported", preview.sick_reported()),
        ("well_reported", preview.well_reported()),
        ("trigger", preview.trigger("omtankesamtal", "manager")),
    ]:
        rendered = RENDERER.render(template, context, language)
        assert line in rendered.text and line in (rendered.html or "")


def test_the_omtankesamtal_mail_carries_the_dialogue_guide_in_the_guides_own_words():
    rendered = RENDERER.render("trigger", preview.trigger("omtankesamtal", "manager"))
    for heading in [
        "Arbetets faktorer",
        "Medicinska faktorer",
        "Privata faktorer",
        "Vad hindrar? Vad möjliggör?",
        "Vad ska chef göra till nästa gång?",
        "Vad ska medarbetare göra till nästa gång?",
        "Plan",
        "Uppföljning datum",
    ]:
        assert heading in rendered.text and heading in (rendered.html or ""), heading
    assert "obligatoriskt" in rendered.text and "senast 2026-11-30" in rendered.text
    payroll = RENDERER.render("trigger", preview.trigger("omtankesamtal", "payroll")).text
    assert "Arbetets faktorer" not in payroll and "för kännedom" in payroll


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_known_rule_tells_each_of_its_roles_what_to_do_in_its_own_words(language):
    generic = {"sv": ["för kännedom", "Se era rutiner"], "en": ["for your information", "routines"]}
    asks: dict[str, str] = {}
    for rule_id, (roles, _day, _due) in preview.TRIGGER_RULES.items():
        if rule_id == "demo_unknown_rule":
            continue
        for role in roles:
            text = RENDERER.render("trigger", preview.trigger(rule_id, role), language).text
            ask = text.split("\n\n")[2]  # greeting, situation, then the ask
            assert not [g for g in generic[language] if g in ask], (rule_id, role, ask)
            asks[f"{rule_id}/{role}"] = ask
    distinct_rules = {k.split("/")[0] for k, v in asks.items() if list(asks.values()).count(v) == 1}
    assert len(distinct_rules) >= 12


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_unknown_rule_is_explained_from_its_explanation(language):
    context = {**preview.trigger("demo_unknown_rule", "manager"), "explanation": "EXPLAINED-HERE"}
    text = RENDERER.render("trigger", context, language).text
    assert "demo_unknown_rule" in text and "EXPLAINED-HERE" in text and "2026-11-30" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_sms_are_short_and_say_how_to_answer_and_how_to_stop(language):
    bare = {  # what the domain's trigger context holds, without the SMS's own extra fields
        "sms_certificate_reminder": preview.trigger("certificate_reminder", "employee"),
        "sms_well_report_missing": preview.trigger("well_report_missing", "employee"),
    }
    for template, full in [
        ("sms_certificate_reminder", preview.sms_certificate_reminder()),
        ("sms_well_report_missing", preview.sms_well_report_missing()),
    ]:
        for context in (full, bare[template]):
            rendered = RENDERER.render(template, context, language)
            body = rendered.text.strip()
            assert "\n" not in body and len(body) < 300, body
            assert preview.LINE_NUMBER in body and "FRISK" in body and "STOP" in body
            assert rendered.html is None
    sms = RENDERER.render("sms_certificate_reminder", preview.sms_certificate_reminder(), language)
    assert "11/11" in sms.text and "18/11" in sms.text  # first day and due date, as d/m


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_crisis_mail_shows_withheld_cells_as_withheld(language):
    rendered = RENDERER.render("crisis_daily", preview.crisis_daily(), language)
    rows = {line.split("  ")[0]: line for line in rendered.text.splitlines()}
    assert re.search(r"under 5 +under 5 +under 5 +–$", rows["Påhittade hemtjänsten Norr"])
    assert re.search(r" 7 +– +– +– +–$", rows["Testvägens förskola"])
    assert "348" in rendered.subject and "5512" in rendered.subject
    assert ("6,3" if language == "sv" else "6.3") in rendered.subject
    html = rendered.html or ""
    assert "Testvägens förskola" in html and "under 5" in html and "None" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_digest_lists_each_message_once_without_repeating_greetings(language):
    context = preview.digest(RENDERER, language)
    rendered = RENDERER.render("digest", context, language)
    assert "2" in rendered.subject
    for item in context["items"]:
        assert item["subject"] in rendered.text
    greeting = {"sv": "Hej", "en": "Hello"}[language]
    assert rendered.text.count(f"{greeting} {preview._PEOPLE['manager']},") == 1


def test_the_preview_command_writes_every_message(tmp_path: Path):
    result = CliRunner().invoke(app, ["preview-messages", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    # Only the paths: under pytest-xdist a thread another test left running may log here too.
    written = [Path(ln) for ln in result.output.splitlines() if ln.startswith(str(tmp_path))]
    assert written and all(p.is_file() for p in written)
    names = {p.relative_to(tmp_path).as_posix() for p in written}
    for rule_id in preview.TRIGGER_RULES:
        assert any(n.startswith(f"sv/trigger-{rule_id}-") and n.endswith(".html") for n in names)
        assert any(n.startswith(f"en/trigger-{rule_id}-") and n.endswith(".txt") for n in names)
    assert "sv/sms_certificate_reminder.txt" in names
    assert "sv/sms_certificate_reminder.html" not in names
    only_en = CliRunner().invoke(
        app, ["preview-messages", "--out", str(tmp_path / "x"), "--language", "en"]
    )
    assert only_en.exit_code == 0 and "/sv/" not in only_en.output
    wrong = CliRunner().invoke(app, ["preview-messages", "--language", "fi"])
    assert wrong.exit_code == 2
