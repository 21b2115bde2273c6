"""TLS and SASL towards the broker, one function per client library, so every producer,
consumer and admin client is configured the same way from `CommonSettings`."""

import ssl
from typing import Any

from halsosupport.settings import CommonSettings


def _uses_tls(settings: CommonSettings) -> bool:
    return settings.kafka_security_protocol in ("SSL", "SASL_SSL")


def _uses_sasl(settings: CommonSettings) -> bool:
    return settings.kafka_security_protocol.startswith("SASL_")


def _sasl(settings: CommonSettings) -> dict[str, Any]:
    password = settings.kafka_sasl_password
    return {
        "sasl_mechanism": settings.kafka_sasl_mechanism,
        "sasl_plain_username": settings.kafka_sasl_username,
        "sasl_plain_password": password.get_secret_value() if password else None,
    }


def ssl_context(settings: CommonSettings) -> ssl.SSLContext:
    """A client context that verifies the broker (against `kafka_ssl_cafile` when set) and
    presents the client certificate when one is configured."""
    cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=cafile)
    if settings.kafka_ssl_certfile and settings.kafka_ssl_keyfile:
        context.load_cert_chain(settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile)
    return context


def kafka_python_security(settings: CommonSettings) -> dict[str, Any]:
    """Keyword arguments for kafka-python's KafkaProducer, KafkaConsumer and KafkaAdminClient."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if _uses_tls(settings):
        for name in ("cafile", "certfile", "keyfile"):
            path = getattr(settings, f"kafka_ssl_{name}")
            if path is not None:
                options[f"ssl_{name}"] = str(path)
    if _uses_sasl(settings):
        options |= _sasl(settings)
    return options


def aiokafka_security(settings: CommonSettings) -> dict[str, Any]:
    """Keyword arguments for aiokafka's AIOKafkaConsumer and AIOKafkaProducer."""
    options: dict[str, Any] = {"security_protocol": settings.kafka_security_protocol}
    if _uses_tls(settings):
        options["ssl_context"] = ssl_context(settings)
    if _uses_sasl(settings):
        options |= _sasl(settings)
    return options


def faust_security(settings: CommonSettings) -> dict[str, Any]:
    """Keyword arguments for `faust.App` (`broker_credentials`), empty for PLAINTEXT."""
    import faust  # only the triggers worker needs faust; keep it out of the other services

    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return {}
    if protocol == "SSL":
        return {"broker_credentials": faust.SSLCredentials(ssl_context(settings))}
    password = settings.kafka_sasl_password
    return {
        "broker_credentials": faust.SASLCredentials(
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password else None,
            mechanism=settings.kafka_sasl_mechanism,
            # With a context faust speaks SASL_SSL, without one SASL_PLAINTEXT.
            ssl_context=ssl_context(settings) if protocol == "SASL_SSL" else None,
        )
    }
