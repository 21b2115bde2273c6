"""Bearer tokens: who is calling and in which role.

Production: OpenID Connect access tokens, verified with the identity provider's keys from
`HALSOSUPPORT_AUTH_JWKS_URL` (RS256 by default; issuer, audience, exp, nbf and iat required,
clock skew bounded by `HALSOSUPPORT_AUTH_LEEWAY_S`). Development: HS256 JWTs signed with
`HALSOSUPPORT_AUTH_SECRET` (`halsosupport token --role nurse` prints one), accepted only while no
JWKS URL is set; production requires one, so it never accepts them.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import jwt

from halsosupport.settings import CommonSettings, Environment


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


_ROLE_NAMES = frozenset(r.value for r in Role)


class InvalidToken(Exception):
    """The token is missing, malformed, expired or not for this system."""


class KeysUnavailable(Exception):
    """The identity provider's JWKS could not be fetched: no token can be checked."""


class DevelopmentTokensRefused(Exception):
    """Development tokens are not signed where the identity provider issues them."""


def development_tokens_allowed(settings: CommonSettings) -> bool:
    """Only outside production, and only while no identity provider is configured."""
    return settings.environment is not Environment.PRODUCTION and not settings.auth_jwks_url


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
    """Sign a development token with the configured secret (refused in production)."""
    if not development_tokens_allowed(settings):
        raise DevelopmentTokensRefused(
            "development tokens are not issued in production or with HALSOSUPPORT_AUTH_JWKS_URL"
        )
    issued = now or datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": role.value,
        "workplaces": workplaces or [],
        "departments": departments or [],
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime,
    }
    return jwt.encode(claims, settings.auth_secret.get_secret_value(), algorithm="HS256")


def verify_token(settings: CommonSettings, token: str) -> Principal:
    """Check signature, issuer, audience and times (bounded leeway); return the caller."""
    if settings.auth_jwks_url:
        claims = _verified_oidc_claims(settings, settings.auth_jwks_url, token)
    elif development_tokens_allowed(settings):
        claims = _decode(settings, token, settings.auth_secret.get_secret_value(), ["HS256"])
    else:  # production without an identity provider: settings refuse this; never fall back
        raise InvalidToken("no identity provider configured")
    return _principal(settings, claims)


def _decode(
    settings: CommonSettings, token: str, key: Any, algorithms: list[str]
) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=algorithms,
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway=settings.auth_leeway_s,
            options={"require": ["sub", "exp", "iss", "aud", "iat", "nbf"]},
        )
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    return claims


@lru_cache(maxsize=8)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    """One client per JWKS URL: keys are cached and refetched when an unknown `kid` arrives."""
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600, timeout=10)


def _verified_oidc_claims(settings: CommonSettings, url: str, token: str) -> dict[str, Any]:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    # Refuse before any key is looked up: `none`, HS256 signed with the public key, and so on.
    if header.get("alg") not in settings.auth_oidc_algorithms:
        raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
    if not header.get("kid"):
        raise InvalidToken("the token names no key (kid)")
    try:
        key = _jwks_client(url).get_signing_key(str(header["kid"]))
    except jwt.PyJWKClientConnectionError as error:
        raise KeysUnavailable(str(error)) from error
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from error
    return _decode(settings, token, key, list(settings.auth_oidc_algorithms))


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, bytes | dict):
        return [str(v) for v in value]
    return []


def _principal(settings: CommonSettings, claims: dict[str, Any]) -> Principal:
    """The one known role among the role claim and `roles`; several known roles are refused, so
    that nobody gets the widest of them by accident."""
    named = _strings(claims.get(settings.auth_role_claim)) + _strings(claims.get("roles"))
    known = {Role(r) for r in named if r in _ROLE_NAMES}
    if len(known) != 1:
        found = ", ".join(sorted(r.value for r in known)) or "none"
        raise InvalidToken(f"the token must carry exactly one of our roles (found: {found})")
    return Principal(
        subject=str(claims["sub"]),
        role=known.pop(),
        workplaces=frozenset(_strings(claims.get("workplaces"))),
        departments=frozenset(_strings(claims.get(settings.auth_departments_claim))),
    )
