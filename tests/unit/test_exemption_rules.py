"""The rules of an exemption, without a database: what HR may decide and what it must say."""

from datetime import date

import pytest

from services.intake import domain

TODAY = date(2026, 11, 22)


def terms(suppressed=False, threshold=None, valid_until=None) -> domain.ExemptionTerms:
    return domain.ExemptionTerms(suppressed, threshold, valid_until)


@pytest.mark.parametrize(
    "allowed",
    [terms(suppressed=True), terms(threshold=1), terms(threshold=6, valid_until=TODAY)],
)
def test_an_exemption_suppresses_or_raises_the_threshold_until_today_or_later(allowed):
    domain.check_exemption(allowed, today=TODAY)


@pytest.mark.parametrize(
    ("refused", "says"),
    [
        (terms(), "give suppressed: true or a threshold"),
        (terms(threshold=0), "threshold must be 1 or more"),
        (terms(suppressed=True, valid_until=date(2026, 11, 21)), "in the past"),
    ],
)
def test_an_exemption_that_means_nothing_or_has_run_out_is_refused(refused, says):
    with pytest.raises(domain.InvalidExemption, match=says):
        domain.check_exemption(refused, today=TODAY)


@pytest.mark.parametrize("rule_id", ["omtankesamtal", "rehab_dag_14", "a"])
def test_rule_ids_are_named_as_the_policy_names_them(rule_id):
    domain.check_rule_id(rule_id)


@pytest.mark.parametrize("rule_id", ["", "Omtanke", "9dagar", "rehab-dag", "_x", "a" * 65])
def test_other_rule_ids_are_refused(rule_id):
    with pytest.raises(domain.InvalidExemption, match="rule_id"):
        domain.check_rule_id(rule_id)


def test_why_is_kept_stripped_and_never_echoed_when_refused():
    assert domain.checked_why("  Högriskskydd  ") == "Högriskskydd"
    with pytest.raises(domain.InvalidExemption, match="why is required"):
        domain.checked_why(" \n")
    with pytest.raises(domain.InvalidExemption) as refused:
        domain.checked_why("diagnos " * 100)
    assert "diagnos" not in refused.value.message


def test_an_unknown_exemption_answers_like_an_unknown_employee():
    assert issubclass(domain.UnknownExemption, domain.UnknownEmployee)  # 404 in the API
