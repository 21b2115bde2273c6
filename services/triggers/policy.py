"""Policies are configuration: TOML files validated against a schema at start-up."""

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from schemas.triggers import RecipientRole
from services.triggers.domain import CountRule, Policy

POLICY_DIR = Path(__file__).parent / "policies"
DEFAULT_POLICY = POLICY_DIR / "halsosupport-2.0.toml"


class InvalidPolicy(ValueError):
    """The policy file cannot be used; the message names the file and every problem."""


class _CountRuleFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule_id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    threshold: int = Field(ge=1)
    window_months: int = Field(ge=1, le=60)
    recipient_roles: list[RecipientRole] = Field(min_length=1)
    due_in_days: int | None = Field(default=None, ge=0)


class _PolicyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str = ""
    counted_absence_types: list[str] = ["sick"]
    excluded_reason_categories: list[str] = []
    merge_gap_days: int = Field(default=0, ge=0)
    count_rules: list[_CountRuleFile] = []


def load_policy(path: Path = DEFAULT_POLICY) -> Policy:
    """Read and validate a policy file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        parsed = _PolicyFile.model_validate(raw)
    except tomllib.TOMLDecodeError as error:
        raise InvalidPolicy(f"{path}: not valid TOML: {error}") from error
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise InvalidPolicy(f"{path}: {problems}") from error
    rule_ids = [rule.rule_id for rule in parsed.count_rules]
    if len(set(rule_ids)) != len(rule_ids):
        raise InvalidPolicy(f"{path}: rule ids must be unique, got {rule_ids}")
    return Policy(
        name=parsed.name,
        version=parsed.version,
        count_rules=tuple(
            CountRule(
                rule_id=rule.rule_id,
                threshold=rule.threshold,
                window_months=rule.window_months,
                recipient_roles=tuple(role.value for role in rule.recipient_roles),
                due_in_days=rule.due_in_days,
            )
            for rule in parsed.count_rules
        ),
        counted_absence_types=frozenset(parsed.counted_absence_types),
        excluded_reason_categories=frozenset(parsed.excluded_reason_categories),
        merge_gap_days=parsed.merge_gap_days,
    )
