"""TLS and SASL settings become the right keyword arguments for each Kafka client library."""

import datetime as dt
import inspect
import ssl
import warnings
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from pydantic import ValidationError

from halsosupport.kafka_security import aiokafka_security, faust_security, kafka_python_security
from halsosupport.settings import CommonSettings, KafkaPlaintextWarning


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate and its key, serving as CA and client certificate alike."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kafka.test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder / "cert.pem", folder / "key.pem"


def _settings(**fields: object) -> CommonSettings:
    return CommonSettings(_env_file=None, **fields)  # type: ignore[call-arg]


def _tls(certificate: tuple[Path, Path], protocol: str, **fields: object) -> CommonSettings:
    cert, key = certificate
    return _settings(
        kafka_security_protocol=protocol,
        kafka_ssl_cafile=cert,
        kafka_ssl_certfile=cert,
        kafka_ssl_keyfile=key,
        **fields,
    )


SASL = {"kafka_sasl_username": "intake", "kafka_sasl_password": "s3cret"}


def test_plaintext_is_the_default_and_adds_nothing_to_faust() -> None:
    settings = _settings()
    assert kafka_python_security(settings) == {"security_protocol": "PLAINTEXT"}
    assert aiokafka_security(settings) == {"security_protocol": "PLAINTEXT"}
    assert faust_security(settings) == {}


def test_ssl_with_a_client_certificate(certificate: tuple[Path, Path]) -> None:
    settings = _tls(certificate, "SSL")
    cert, key = certificate
    assert kafka_python_security(settings) == {
        "security_protocol": "SSL",
        "ssl_cafile": str(cert),
        "ssl_certfile": str(cert),
        "ssl_keyfile": str(key),
    }
    options = aiokafka_security(settings)
    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    faust_auth = credentials_to_aiokafka_auth(faust_security(settings)["broker_credentials"])
    assert faust_auth["security_protocol"] == "SSL"
    assert faust_auth["ssl_context"].verify_mode is ssl.CERT_REQUIRED


def test_ssl_without_files_uses_the_system_certificates() -> None:
    settings = _settings(kafka_security_protocol="SSL")
    assert kafka_python_security(settings) == {"security_protocol": "SSL"}
    assert isinstance(aiokafka_security(settings)["ssl_context"], ssl.SSLContext)


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl(certificate: tuple[Path, Path], mechanism: str) -> None:
    settings = _tls(certificate, "SASL_SSL", kafka_sasl_mechanism=mechanism, **SASL)
    sasl = {
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "intake",
        "sasl_plain_password": "s3cret",
    }
    python = kafka_python_security(settings)
    assert python["security_protocol"] == "SASL_SSL" and python["ssl_cafile"]
    assert sasl.items() <= python.items()
    aio = aiokafka_security(settings)
    assert aio["security_protocol"] == "SASL_SSL" and isinstance(aio["ssl_context"], ssl.SSLContext)
    assert sasl.items() <= aio.items()
    faust_auth = credentials_to_aiokafka_auth(faust_security(settings)["broker_credentials"])
    assert faust_auth["security_protocol"] == "SASL_SSL"
    assert isinstance(faust_auth["ssl_context"], ssl.SSLContext)
    assert sasl.items() <= faust_auth.items()


def test_sasl_plaintext_has_no_tls() -> None:
    settings = _settings(kafka_security_protocol="SASL_PLAINTEXT", **SASL)
    assert kafka_python_security(settings) == {
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "intake",
        "sasl_plain_password": "s3cret",
    }
    assert "ssl_context" not in aiokafka_security(settings)
    faust_auth = credentials_to_aiokafka_auth(faust_security(settings)["broker_credentials"])
    assert faust_auth["security_protocol"] == "SASL_PLAINTEXT"
    assert faust_auth["ssl_context"] is None


def test_every_option_is_one_the_client_libraries_accept(certificate: tuple[Path, Path]) -> None:
    settings = _tls(certificate, "SASL_SSL", **SASL)
    for client in (KafkaProducer, KafkaConsumer, KafkaAdminClient):
        assert set(kafka_python_security(settings)) <= set(client.DEFAULT_CONFIG), client
    for client in (AIOKafkaConsumer, AIOKafkaProducer):
        assert set(aiokafka_security(settings)) <= set(inspect.signature(client).parameters)


def test_sasl_needs_a_user_and_password() -> None:
    with pytest.raises(ValidationError, match="SASL_USERNAME and HALSOSUPPORT_KAFKA_SASL_PASSWORD"):
        _settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="intake")


def test_a_client_certificate_needs_its_key(certificate: tuple[Path, Path]) -> None:
    with pytest.raises(ValidationError, match="go together"):
        _settings(kafka_security_protocol="SSL", kafka_ssl_certfile=certificate[0])


def test_the_password_is_not_shown() -> None:
    settings = _settings(kafka_security_protocol="SASL_SSL", **SASL)
    assert "s3cret" not in repr(settings)


def test_production_warns_about_plaintext_but_starts() -> None:
    production = {"environment": "production", "auth_jwks_url": "https://idp.example/jwks"}
    with pytest.warns(KafkaPlaintextWarning, match="PLAINTEXT in production"):
        _settings(**production)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _settings(kafka_security_protocol="SASL_SSL", **SASL, **production)
