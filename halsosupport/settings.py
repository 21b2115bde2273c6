"""Settings every service shares. Each service subclasses `CommonSettings` with its own fields.

All settings come from the environment with the `HALSOSUPPORT_` prefix; they are built once in
the entrypoint and passed down, so nothing else reads `os.environ`.
"""

import warnings
from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

import limits
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from halsosupport.retention import Retention

DEVELOPMENT_AUTH_SECRET = "development-only-secret-do-not-use-in-production"
# What an identity provider's tokens may be signed with: never HS* (the public key would be the
# secret) and never `none`.
ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class LogFormat(StrEnum):
    AUTO = "auto"  # console lines on a terminal, JSON otherwise
    JSON = "json"
    CONSOLE = "console"


class CommonSettings(BaseSettings):
    """The broker, the database, authentication and logging: the same for every service."""

    model_config = SettingsConfigDict(env_prefix="HALSOSUPPORT_", frozen=True, extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    log_format: LogFormat = LogFormat.AUTO
    log_level: str = "INFO"

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    # tansu holds a consumer group's first join for the whole rebalance timeout; 5 s keeps
    # start-up quick on the embedded broker. Raise it (e.g. 60) on Apache Kafka.
    kafka_rebalance_timeout_s: float = 5.0
    # Where a consumer group that has no committed offsets starts: `earliest` reads the whole
    # history (the read models need it); `latest` only what arrives from now on.
    kafka_auto_offset_reset: Literal["earliest", "latest"] = "earliest"
    # How long the broker may hold a consumer's fetch when there is nothing new. The embedded
    # broker (tansu 0.6) does not answer a waiting fetch when a record arrives, so every hop
    # waited up to aiokafka's default 500 ms (bench/end_to_end.py); 50 ms costs a few idle
    # fetches a second. Apache Kafka answers at once: 500 is fine there.
    kafka_fetch_max_wait_ms: int = Field(default=50, ge=1, le=10_000)
    # The embedded broker (tansu 0.6) reports a partition's end as its last batch's first offset
    # + 1, so faust's table recovery stops inside a multi-record batch and loses the state written
    # after it. One record per batch keeps recovery exact there; leave it off on Apache Kafka.
    kafka_one_record_per_batch: bool = False
    # How often each service checks that the broker still has its topics (their topic ids): a
    # broker that lost its data is then replayed to (intake) and read again from the start.
    kafka_broker_check_interval_s: float = 5.0
    # TLS and SASL towards the broker (halsosupport/kafka_security.py applies them to every
    # client). PLAINTEXT suits the embedded broker on one machine only.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_ssl_cafile: Path | None = None  # the broker's CA; the system's CAs when unset
    kafka_ssl_certfile: Path | None = None  # client certificate (mutual TLS), with the key
    kafka_ssl_keyfile: Path | None = None
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None

    # `{service}` becomes the service's name, so each service keeps its own SQLite file.
    # On PostgreSQL every service uses its own schema (the service's name plus the prefix).
    database_url: str = "sqlite:///var/db/{service}.sqlite3"
    database_schema_prefix: str = ""

    # Strict-Transport-Security on every answer when > 0: set it (e.g. 31536000) once the
    # services are reached over https only.
    hsts_max_age_s: int = 0
    # Requests per client address to the endpoints anyone can reach (the Twilio webhooks),
    # in the `limits` notation: "120/minute", "10/second".
    public_rate_limit: str = "120/minute"
    # Retention per kind of data (days after it stopped being current) and how often the purge
    # runs in the service that owns the data; 0 turns the scheduled purge off.
    retention_nurse_notes_days: int = Field(default=90, ge=1)
    retention_spells_days: int = Field(default=6 * 366, ge=5 * 366)
    retention_messages_days: int = Field(default=90, ge=1)
    retention_case_documentation_days: int = Field(default=2 * 366, ge=366)
    purge_interval_s: float = Field(default=3600.0, ge=0)

    # Development tokens (`halsosupport token`) are HS256 with this secret. When
    # `auth_jwks_url` is set, only the identity provider's tokens are accepted.
    def retention(self) -> Retention:
        """The retention periods as the purge reads them."""
        return Retention(
            nurse_notes_days=self.retention_nurse_notes_days,
            spells_days=self.retention_spells_days,
            messages_days=self.retention_messages_days,
            case_documentation_days=self.retention_case_documentation_days,
        )

    auth_secret: SecretStr = SecretStr(DEVELOPMENT_AUTH_SECRET)
    auth_issuer: str = "halsosupport-dev"
    auth_audience: str = "halsosupport"
    # OpenID Connect: the identity provider's JWKS (its `jwks_uri`); required in production.
    auth_jwks_url: str | None = None
    auth_oidc_algorithms: list[str] = ["RS256"]
    # Clock skew tolerated on exp/nbf/iat, in seconds; bounded so a typo cannot disable expiry.
    auth_leeway_s: int = Field(default=60, ge=0, le=300)
    # The claim naming the caller's role (a string or a list); `roles` is accepted as well.
    auth_role_claim: str = "role"
    auth_departments_claim: str = "departments"

    @model_validator(mode="after")
    def _check_authentication(self) -> Self:
        refused = sorted(a for a in self.auth_oidc_algorithms if a not in ASYMMETRIC_ALGORITHMS)
        if refused or not self.auth_oidc_algorithms:
            raise ValueError(
                f"HALSOSUPPORT_AUTH_OIDC_ALGORITHMS must be asymmetric algorithms "
                f"({', '.join(sorted(ASYMMETRIC_ALGORITHMS))}); refused: {refused or 'empty'}"
            )
        if self.environment is Environment.PRODUCTION:
            url = self.auth_jwks_url or ""
            if not url.startswith("https://"):
                raise ValueError(
                    "HALSOSUPPORT_AUTH_JWKS_URL must be the identity provider's https JWKS URL "
                    "in production; development tokens are refused there"
                )
        return self

    @field_validator("public_rate_limit")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        try:
            limits.parse(value)
        except ValueError as error:
            raise ValueError(f"expected e.g. '120/minute': {error}") from None
        return value

    @model_validator(mode="after")
    def _check_kafka_security(self) -> Self:
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"HALSOSUPPORT_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "HALSOSUPPORT_KAFKA_SASL_USERNAME and HALSOSUPPORT_KAFKA_SASL_PASSWORD"
            )
        if (self.kafka_ssl_certfile is None) != (self.kafka_ssl_keyfile is None):
            raise ValueError(
                "HALSOSUPPORT_KAFKA_SSL_CERTFILE and HALSOSUPPORT_KAFKA_SSL_KEYFILE go together"
            )
        if (
            self.environment is Environment.PRODUCTION
            and self.kafka_security_protocol == "PLAINTEXT"
        ):
            # A warning, not a refusal: a broker on the same host or behind a private link is a
            # legitimate set-up; health data crossing a shared network in clear text is not.
            warnings.warn(
                "HALSOSUPPORT_KAFKA_SECURITY_PROTOCOL is PLAINTEXT in production: events travel "
                "unencrypted and unauthenticated; use SSL or SASL_SSL across any shared network",
                KafkaPlaintextWarning,
                stacklevel=2,
            )
        return self


class KafkaPlaintextWarning(UserWarning):
    """Production talks to Kafka without TLS."""
