"""Twilio's delivery reports for the SMS the notifier sent.

Twilio posts here (the `status_callback` TwilioSms passes) as a message moves through queued,
sent, delivered, or undelivered/failed. Only signed requests count; recording is a callback on
`app.state.record_sms_status`, so this module knows nothing of the database.
"""

from collections.abc import Callable
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from starlette.datastructures import FormData

from halsosupport.rate_limit import limited
from halsosupport.twilio_webhooks import signed_form
from services.notifier.settings import NotifierSettings

log = structlog.get_logger("notifier.twilio_status")
router = APIRouter(
    prefix="/v1/twilio", include_in_schema=False, dependencies=[Depends(limited("twilio"))]
)

RecordSmsStatus = Callable[[str, str, str | None], bool]


def _settings(request: Request) -> NotifierSettings:
    settings: NotifierSettings = request.app.state.settings
    return settings


SignedForm = Annotated[
    FormData,
    Depends(
        signed_form(
            lambda request: _settings(request).twilio_auth_token,
            lambda request: _settings(request).notifier_public_base_url,
        )
    ),
]


@router.post("/status", status_code=status.HTTP_204_NO_CONTENT)
def sms_status(form: SignedForm, request: Request) -> Response:
    """Always 204 once signed: an unknown SID is not Twilio's problem, and any error answer
    would only make Twilio retry a report we cannot use."""
    message_sid = str(form.get("MessageSid", ""))
    delivery_status = str(form.get("MessageStatus", ""))
    error_code = str(form.get("ErrorCode", "")) or None
    if not message_sid or not delivery_status:
        log.warning("sms_status_incomplete", message_sid=message_sid or None)
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    record: RecordSmsStatus = request.app.state.record_sms_status
    if not record(message_sid, delivery_status, error_code):
        # Another notifier's message (a shared Twilio account), or one sent before a restore.
        log.info("sms_status_unknown_message", message_sid=message_sid, status=delivery_status)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
