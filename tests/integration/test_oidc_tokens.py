"""OpenID Connect tokens, verified against a stand-in identity provider's JWKS on a real socket."""

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from typer.testing import CliRunner

from halsosupport.auth import (
    DevelopmentTokensRefused,
    InvalidToken,
    KeysUnavailable,
    Role,
    issue_token,
    verify_token,
)
from halsosupport.cli import app as cli
from halsosupport.settings import CommonSettings
from tests.oidc_standin import AUDIENCE, ISSUER, IdentityProvider, identity_provider


@pytest.fixture
def idp() -> Iterator[IdentityProvider]:
    with identity_provider() as provider:
        yield provider


def _settings(idp: IdentityProvider, **overrides: object) -> CommonSettings:
    fields = {"auth_jwks_url": idp.jwks_url, "auth_issuer": ISSUER, "auth_audience": AUDIENCE}
    return CommonSettings(**{**fields, **overrides})


def test_a_token_from_the_identity_provider_names_the_caller(idp):
    token = idp.token(sub="m-9", role="manager", workplaces=["w1"], departments=["d1"])
    principal = verify_token(_settings(idp), token)
    assert (principal.subject, principal.role) == ("m-9", Role.MANAGER)
    assert (principal.workplaces, principal.departments) == ({"w1"}, {"d1"})


def test_keys_are_fetched_once_and_cached(idp):
    settings = _settings(idp)
    for _ in range(3):
        verify_token(settings, idp.token())
    assert idp.requests == 1


def test_roles_as_a_list_and_configurable_claim_names(idp):
    settings = _settings(idp, auth_role_claim="halsosupport_role", auth_departments_claim="grp")
    principal = verify_token(settings, idp.token(role=None, roles=["offline_access", "hr"]))
    assert principal.role is Role.HR
    principal = verify_token(settings, idp.token(role=None, halsosupport_role="crisis", grp="d2"))
    assert (principal.role, principal.departments) == (Role.CRISIS, {"d2"})


@pytest.mark.parametrize(
    "claims",
    [{"role": None}, {"role": "janitor"}, {"role": "nurse", "roles": ["admin"]}],
    ids=["no-role", "unknown-role", "two-roles"],
)
def test_a_token_without_exactly_one_known_role_is_refused(idp, claims):
    with pytest.raises(InvalidToken, match="exactly one"):
        verify_token(_settings(idp), idp.token(**claims))


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


# Offsets from the moment the test runs (collection may be minutes earlier).
OUT_OF_TIME = {"iat": -timedelta(minutes=10), "nbf": -timedelta(minutes=10)}


@pytest.mark.parametrize(
    ("claims", "leeway"),
    [
        ({"iss": "https://evil.example"}, 60),
        ({"aud": "another-api"}, 60),
        ({"exp": -timedelta(seconds=5), **OUT_OF_TIME}, 0),
        ({"exp": -timedelta(seconds=90), **OUT_OF_TIME}, 60),
        ({"nbf": timedelta(seconds=120)}, 60),
        ({"iat": None}, 60),
        ({"nbf": None}, 60),
        ({"exp": None}, 60),
        ({"sub": None}, 60),
    ],
    ids=[
        "wrong-issuer",
        "wrong-audience",
        "expired-no-leeway",
        "expired-beyond-leeway",
        "not-yet-valid",
        "no-iat",
        "no-nbf",
        "no-exp",
        "no-sub",
    ],
)
def test_tokens_for_someone_else_or_out_of_time_are_refused(idp, claims, leeway):
    now = datetime.now(UTC)
    claims = {k: now + v if isinstance(v, timedelta) else v for k, v in claims.items()}
    with pytest.raises(InvalidToken):
        verify_token(_settings(idp, auth_leeway_s=leeway), idp.token(**claims))


def test_clock_skew_within_the_leeway_is_tolerated(idp):
    token = idp.token(exp=_ago(seconds=30), iat=_ago(minutes=5), nbf=_ago(minutes=5))
    assert verify_token(_settings(idp), token).role is Role.NURSE
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(_settings(idp, auth_leeway_s=10), token)


def _segment(data: dict[str, object]) -> bytes:
    raw = json.dumps(data, default=lambda moment: int(moment.timestamp())).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=")


def test_alg_none_is_refused(idp):
    unsigned = _segment({"alg": "none", "kid": idp.kid}) + b"." + _segment(idp.claims()) + b"."
    with pytest.raises(InvalidToken, match="algorithm"):
        verify_token(_settings(idp), unsigned.decode())


def test_hs256_signed_with_the_public_key_is_refused(idp):
    """The classic confusion: the public key (which anyone has) used as an HMAC secret."""
    public_pem = idp.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # PyJWT refuses to HMAC-sign with a PEM key, so the forgery is built by hand.
    signing_input = _segment({"alg": "HS256", "kid": idp.kid}) + b"." + _segment(idp.claims())
    signature = hmac.new(public_pem, signing_input, hashlib.sha256).digest()
    forged = signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")
    with pytest.raises(InvalidToken, match="algorithm"):
        verify_token(_settings(idp), forged.decode())
    # Even were HS256 allowed by mistake, the settings refuse it outright.
    with pytest.raises(ValueError, match="asymmetric"):
        _settings(idp, auth_oidc_algorithms=["HS256"])


def test_a_development_token_is_refused_once_an_identity_provider_is_set(idp):
    dev = issue_token(CommonSettings(), subject="x", role=Role.ADMIN)
    with pytest.raises(InvalidToken):
        verify_token(
            _settings(idp, auth_issuer="halsosupport-dev", auth_audience="halsosupport"), dev
        )
    with pytest.raises(DevelopmentTokensRefused):
        issue_token(_settings(idp), subject="x", role=Role.ADMIN)


def test_a_token_signed_by_another_key_or_naming_an_unknown_key_is_refused(idp):
    with identity_provider() as impostor:
        forged = impostor.token()
        with pytest.raises(InvalidToken):
            verify_token(_settings(idp), forged)
        forged_with_our_kid = impostor.token(headers={"kid": idp.kid})
        with pytest.raises(InvalidToken, match="Signature"):
            verify_token(_settings(idp), forged_with_our_kid)


def test_an_unreachable_identity_provider_is_not_a_bad_token():
    with identity_provider() as gone:
        token, url = gone.token(), gone.jwks_url
    settings = CommonSettings(auth_jwks_url=url, auth_issuer=ISSUER, auth_audience=AUDIENCE)
    with pytest.raises(KeysUnavailable):
        verify_token(settings, token)


def test_production_verifies_identity_provider_tokens_and_the_cli_refuses_to_sign(idp, monkeypatch):
    https_url = idp.jwks_url.replace("http://", "https://")
    production = CommonSettings(
        environment="production",
        auth_jwks_url=https_url,
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
    )
    with pytest.raises(DevelopmentTokensRefused):
        issue_token(production, subject="x", role=Role.NURSE)
    monkeypatch.setenv("HALSOSUPPORT_ENVIRONMENT", "production")
    monkeypatch.setenv("HALSOSUPPORT_AUTH_JWKS_URL", https_url)
    result = CliRunner().invoke(cli, ["token", "--role", "nurse"])
    assert result.exit_code == 2 and "not issued in production" in result.output
