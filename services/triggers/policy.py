"""Policies are configuration: TOML files validated against a schema at start-up.

A file that cannot be used is refused with every problem, each with its line, so whoever
edits a policy sees what to fix before the service decides anything with it.
"""

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from schemas.triggers import RecipientRole
from services.triggers.domain import CountRule, DayRule, Policy, ReasonExclusion

POLICY_DIR = Path(__file__).parent / "policies"
DEFAULT_POLICY = POLICY_DIR / "halsosupport-2.0.toml"
RULE_ID = r"^[a-z][a-z0-9_]*$"


class InvalidPolicy(ValueError):
    """The policy file cannot be used; the message names the file and every problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _CountRuleFile(_Strict):
    rule_id: str = Field(pattern=RULE_ID)
    threshold: int = Field(ge=1)
    window_months: int | None = Field(default=None, ge=1, le=60)
    window_days: int | None = Field(default=None, ge=1, le=1830)
    recipient_roles: list[RecipientRole] = Field(min_length=1)
    due_in_days: int | None = Field(default=None, ge=0)
    merge_gap_days: int | None = Field(default=None, ge=0, le=60)
    max_spell_days: int | None = Field(default=None, ge=1)
    metric: Literal["occasions", "bradford"] = "occasions"

    @model_validator(mode="after")
    def _one_window(self) -> Self:
        if (self.window_months is None) == (self.window_days is None):
            raise ValueError("give exactly one of window_months and window_days")
        return self


class _DayRuleFile(_Strict):
    rule_id: str = Field(pattern=RULE_ID)
    days: list[int] = Field(min_length=1)
    recipient_roles: list[RecipientRole] = Field(min_length=1)
    due_in_days: int | None = Field(default=None, ge=0)
    anchor: Literal["sick_from", "expected_return"] = "sick_from"
    absence_types: list[Literal["sick", "vab"]] = ["sick"]
    min_expected_days: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _days_count_from_one(self) -> Self:
        if any(day < 1 for day in self.days) or len(set(self.days)) != len(self.days):
            raise ValueError("days must be distinct and count from 1 (the first day)")
        return self


class _ReasonExclusionFile(_Strict):
    reason_category: str = Field(min_length=1)
    from_date: date | None = Field(default=None, alias="from")
    to_date: date | None = Field(default=None, alias="to")
    decided_by: str = ""


class _PolicyFile(_Strict):
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    source: str = ""
    effective_from: date | None = None
    decided_by: str = ""
    counted_absence_types: list[Literal["sick", "vab"]] = ["sick"]
    excluded_reason_categories: list[str] = []
    reason_exclusions: list[_ReasonExclusionFile] = []
    merge_gap_days: int = Field(default=0, ge=0, le=60)
    catch_up_days: int = Field(default=14, ge=0, le=90)
    count_rules: list[_CountRuleFile] = []
    day_rules: list[_DayRuleFile] = []

    @model_validator(mode="after")
    def _unique_rule_ids(self) -> Self:
        ids = [r.rule_id for r in self.count_rules] + [r.rule_id for r in self.day_rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rule ids must be unique: {', '.join(duplicates)} repeated")
        if not ids:
            raise ValueError("a policy needs at least one rule")
        return self


def line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """The line a validation error points at: `count_rules.2.threshold` is the `threshold` key
    after the third `[[count_rules]]` header. None when the key is missing from the file."""
    lines = text.splitlines()
    start = 0
    key: str | None = None
    parts = list(loc)
    if len(parts) >= 2 and isinstance(parts[0], str) and isinstance(parts[1], int):
        header = re.compile(rf"^\s*\[\[\s*{re.escape(parts[0])}\s*\]\]")
        headers = [n for n, line in enumerate(lines) if header.match(line)]
        if parts[1] >= len(headers):
            return None
        start = headers[parts[1]]
        key = str(parts[2]) if len(parts) > 2 else None
        if key is None:
            return start + 1
    elif parts:
        key = str(parts[0])
    pattern = re.compile(rf"^\s*{re.escape(key or '')}\s*=")
    for n in range(start, len(lines)):
        if n > start and lines[n].lstrip().startswith("[") and start:
            break  # the next table: the key is missing from this one
        if pattern.match(lines[n]):
            return n + 1
    return start + 1 if start else None


def _problems(path: Path, text: str, error: ValidationError) -> str:
    found = []
    for problem in error.errors():
        loc = tuple(p for p in problem["loc"] if not str(p).startswith("function-after"))
        line = line_of(text, loc)
        where = f"line {line}: " if line else ""
        found.append(f"{where}{'.'.join(str(p) for p in loc) or 'file'}: {problem['msg']}")
    return f"{path}: " + "; ".join(found)


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    """Read and validate a policy file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidPolicy(f"{path}: cannot read the policy ({error.strerror})") from error
    try:
        parsed = _PolicyFile.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as error:
        raise InvalidPolicy(f"{path}: not valid TOML: {error}") from error
    except ValidationError as error:
        raise InvalidPolicy(_problems(path, text, error)) from error
    return Policy(
        name=parsed.name,
        version=parsed.version,
        count_rules=tuple(_count_rule(rule) for rule in parsed.count_rules),
        counted_absence_types=frozenset(parsed.counted_absence_types),
        excluded_reason_categories=frozenset(parsed.excluded_reason_categories),
        merge_gap_days=parsed.merge_gap_days,
        day_rules=tuple(_day_rule(rule) for rule in parsed.day_rules),
        reason_exclusions=tuple(
            ReasonExclusion(e.reason_category, e.from_date, e.to_date)
            for e in parsed.reason_exclusions
        ),
        effective_from=parsed.effective_from,
        decided_by=parsed.decided_by,
        catch_up_days=parsed.catch_up_days,
    )


def _count_rule(rule: _CountRuleFile) -> CountRule:
    return CountRule(
        rule_id=rule.rule_id,
        threshold=rule.threshold,
        window_months=rule.window_months or 0,
        window_days=rule.window_days or 0,
        recipient_roles=tuple(role.value for role in rule.recipient_roles),
        due_in_days=rule.due_in_days,
        merge_gap_days=rule.merge_gap_days,
        max_spell_days=rule.max_spell_days,
        metric=rule.metric,
    )


def _day_rule(rule: _DayRuleFile) -> DayRule:
    return DayRule(
        rule_id=rule.rule_id,
        days=tuple(sorted(rule.days)),
        recipient_roles=tuple(role.value for role in rule.recipient_roles),
        due_in_days=rule.due_in_days,
        anchor=rule.anchor,
        absence_types=frozenset(rule.absence_types),
        min_expected_days=rule.min_expected_days,
    )
