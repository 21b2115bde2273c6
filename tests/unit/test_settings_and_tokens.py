"""Safe defaults: production refuses development secrets; tokens are checked fully."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from halsosupport.auth import (
    DevelopmentTokensRefused,
    InvalidToken,
    Role,
    issue_token,
    verify_token,
)
from halsosupport.consumer import EventConsumer
from halsosupport.db import DatabaseConfigError, service_database_url
from halsosupport.settings import CommonSettings


def test_production_requires_an_identity_provider_and_refuses_development_tokens():
    with pytest.raises(ValidationError, match="HALSOSUPPORT_AUTH_JWKS_URL"):
        CommonSettings(environment="production", auth_secret="x" * 40)
    with pytest.raises(ValidationError, match="https"):
        CommonSettings(environment="production", auth_jwks_url="http://idp/jwks")
    production = CommonSettings(environment="production", auth_jwks_url="https://idp/jwks")
    with pytest.raises(DevelopmentTokensRefused):
        issue_token(production, subject="x", role=Role.NURSE)


def test_the_token_leeway_is_bounded_and_hmac_is_no_identity_provider_algorithm():
    with pytest.raises(ValidationError, match="auth_leeway_s"):
        CommonSettings(auth_leeway_s=301)
    with pytest.raises(ValidationError, match="asymmetric"):
        CommonSettings(auth_oidc_algorithms=["none"])


def test_settings_are_read_from_the_environment_with_the_prefix(monkeypatch):
    monkeypatch.setenv("HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092")
    assert CommonSettings().kafka_bootstrap_servers == "kafka-1:9092"


def test_consumers_let_the_broker_hold_a_fetch_only_briefly(monkeypatch):
    """tansu does not answer a waiting fetch when a record arrives: the wait is each hop's delay."""

    async def build() -> int:
        consumer = EventConsumer(
            settings=CommonSettings(), group_id="g", topics=["t"], handle=lambda _batch: None
        ).build_consumer()
        return int(consumer._fetch_max_wait_ms)

    def built_wait() -> int:
        # In a thread of its own: an earlier test (the browser's) may leave a loop running here.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, build()).result()

    assert built_wait() == 50
    monkeypatch.setenv("HALSOSUPPORT_KAFKA_FETCH_MAX_WAIT_MS", "500")
    assert built_wait() == 500


def test_each_service_gets_its_own_sqlite_file_and_a_shared_one_is_refused():
    assert service_database_url("sqlite:///var/db/{service}.sqlite3", "intake") == (
        "sqlite:///var/db/intake.sqlite3"
    )
    assert service_database_url("postgresql+psycopg://h/db", "stats") == "postgresql+psycopg://h/db"
    with pytest.raises(DatabaseConfigError, match="share one file"):
        service_database_url("sqlite:///var/all.sqlite3", "intake")


def test_a_token_carries_role_and_scope_and_is_verified():
    settings = CommonSettings()
    token = issue_token(settings, subject="m-1", role=Role.MANAGER, workplaces=["w1"])
    principal = verify_token(settings, token)
    assert (principal.subject, principal.role, principal.workplaces) == (
        "m-1",
        Role.MANAGER,
        {"w1"},
    )


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: ("other-secret-" * 4, s.auth_issuer, s.auth_audience, timedelta(hours=1)),
        lambda s: (
            s.auth_secret.get_secret_value(),
            "someone-else",
            s.auth_audience,
            timedelta(hours=1),
        ),
        lambda s: (
            s.auth_secret.get_secret_value(),
            s.auth_issuer,
            "other-app",
            timedelta(hours=1),
        ),
        lambda s: (
            s.auth_secret.get_secret_value(),
            s.auth_issuer,
            s.auth_audience,
            timedelta(hours=-1),
        ),
    ],
    ids=["wrong-signature", "wrong-issuer", "wrong-audience", "expired"],
)
def test_tokens_from_elsewhere_or_expired_are_refused(mutate):
    settings = CommonSettings()
    secret, issuer, audience, lifetime = mutate(settings)
    forged = CommonSettings(auth_secret=secret, auth_issuer=issuer, auth_audience=audience)
    token = issue_token(
        forged,
        subject="x",
        role=Role.NURSE,
        lifetime=lifetime,
        now=datetime.now(UTC) - timedelta(minutes=2) if lifetime.total_seconds() < 0 else None,
    )
    with pytest.raises(InvalidToken):
        verify_token(settings, token)
