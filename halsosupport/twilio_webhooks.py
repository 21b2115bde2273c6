"""Proof that a webhook request came from Twilio, shared by every service Twilio calls.

Twilio signs the URL it called and the posted form with the account's auth token. Behind a proxy
the URL the service sees is not the one Twilio called, so the public base URL comes from the
service's settings, never from the request's Host header.
"""

from collections.abc import Awaitable, Callable

import structlog
from fastapi import HTTPException, Request, status
from pydantic import SecretStr
from starlette.datastructures import FormData
from twilio.request_validator import RequestValidator

log = structlog.get_logger("halsosupport.twilio")

SIGNATURE_HEADER = "X-Twilio-Signature"


def signed_form(
    token_of: Callable[[Request], SecretStr | None],
    base_url_of: Callable[[Request], str],
    *,
    token_setting: str = "HALSOSUPPORT_TWILIO_AUTH_TOKEN",
) -> Callable[[Request], Awaitable[FormData]]:
    """A FastAPI dependency: the posted form, once its Twilio signature is proven.

    503 when no auth token is configured (nothing could ever pass, and the operator should see
    why), 403 when the signature is missing or wrong. The callables read the service's own
    settings, so each service keeps its own setting names."""

    async def dependency(request: Request) -> FormData:
        token = token_of(request)
        if token is None:
            raise HTTPException(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                f"Twilio is not configured: set {token_setting}",
            )
        form = await request.form()
        signature = request.headers.get(SIGNATURE_HEADER, "")
        url = public_url(base_url_of(request), request)
        validator = RequestValidator(token.get_secret_value())
        if not signature or not validator.validate(url, form, signature):
            log.warning("twilio_signature_rejected", path=request.url.path)
            raise HTTPException(status.HTTP_403_FORBIDDEN, "invalid Twilio signature")
        return form

    return dependency


def public_url(base_url: str, request: Request) -> str:
    """The URL Twilio called: the public base URL, then the path and query the service saw."""
    url = base_url.rstrip("/") + request.url.path
    if request.url.query:
        url += "?" + request.url.query
    return url
