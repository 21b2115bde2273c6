"""Bearer tokens: who is calling and in which role.

Development tokens are HS256 JWTs signed with `HALSOSUPPORT_AUTH_SECRET`
(`halsosupport token --role nurse` prints one). Production refuses the development secret.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

from halsosupport.settings import CommonSettings


class Role(StrEnum):
    NURSE = "nurse"
    MANAGER = "manager"
    HR = "hr"
    REHAB = "rehab"
    CRISIS = "crisis"
    ADMIN = "admin"


@dataclass(frozen=True)
class Principal:
    """The caller, from a verified token. `subject` is a pseudonymous staff id."""

    subject: str
    role: Role
    workplaces: frozenset[str] = field(default_factory=frozenset)
    departments: frozenset[str] = field(default_factory=frozenset)


class InvalidToken(Exception):
    """The token is missing, malformed, expired or not for this system."""


def issue_token(
    settings: CommonSettings,
    *,
    subject: str,
    role: Role,
    workplaces: list[str] | None = None,
    departments: list[str] | None = None,
    lifetime: timedelta = timedelta(hours=12),
    now: datetime | None = None,
) -> str:
    """Sign a token with the configured secret."""
    issued = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": role.value,
        "workplaces": workplaces or [],
        "departments": departments or [],
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": issued,
        "exp": issued + lifetime,
    }
    return jwt.encode(claims, settings.auth_secret.get_secret_value(), algorithm="HS256")


def verify_token(settings: CommonSettings, token: str) -> Principal:
    """Check signature, issuer, audience and expiry (60 s leeway); return the caller."""
    try:
        claims = jwt.decode(
            token,
            settings.auth_secret.get_secret_value(),
            algorithms=["HS256"],
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway=60,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
        role = Role(claims.get("role"))
    except (jwt.PyJWTError, ValueError) as error:
        raise InvalidToken(str(error)) from error
    return Principal(
        subject=str(claims["sub"]),
        role=role,
        workplaces=frozenset(claims.get("workplaces") or []),
        departments=frozenset(claims.get("departments") or []),
    )
