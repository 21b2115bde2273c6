"""Twilio's delivery reports reach the notifier only when Twilio signed them, over the public
URL the notifier's settings give."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from twilio.request_validator import RequestValidator

from services.notifier.entrypoints import twilio_status
from services.notifier.settings import NotifierSettings
from tests.integration.conftest import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN

PUBLIC_URL = "https://notifier.halsosupport.example.se"
STATUS_PATH = "/v1/twilio/status"


class Recorder:
    """What the notifier would store: the reports, and which SIDs it knows."""

    def __init__(self, known: set[str]) -> None:
        self.known = known
        self.calls: list[tuple[str, str, str | None]] = []

    def __call__(self, message_sid: str, status: str, error_code: str | None) -> bool:
        self.calls.append((message_sid, status, error_code))
        return message_sid in self.known


@pytest.fixture
def notifier() -> tuple[TestClient, Recorder]:
    app = FastAPI()
    app.state.settings = NotifierSettings(
        twilio_account_sid=TWILIO_ACCOUNT_SID,
        twilio_auth_token=TWILIO_AUTH_TOKEN,
        notifier_public_base_url=PUBLIC_URL,
    )
    app.state.record_sms_status = recorder = Recorder({"SM1"})
    app.include_router(twilio_status.router)
    return TestClient(app), recorder


def report(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": TWILIO_ACCOUNT_SID,
        "From": "+46101234567",
        "To": "+46701234567",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def signature(params: dict[str, str], token: str = TWILIO_AUTH_TOKEN) -> dict[str, str]:
    return {
        "X-Twilio-Signature": RequestValidator(token).compute_signature(
            PUBLIC_URL + STATUS_PATH, params
        )
    }


def test_a_signed_delivery_report_is_recorded(notifier):
    client, recorder = notifier
    params = report("SM1", "delivered")
    response = client.post(STATUS_PATH, data=params, headers=signature(params))
    assert response.status_code == 204, response.text
    assert recorder.calls == [("SM1", "delivered", None)]


def test_a_failure_carries_twilios_error_code(notifier):
    client, recorder = notifier
    params = report("SM1", "undelivered", ErrorCode="30003")
    assert client.post(STATUS_PATH, data=params, headers=signature(params)).status_code == 204
    assert recorder.calls == [("SM1", "undelivered", "30003")]


def test_a_report_on_an_unknown_message_is_still_acknowledged(notifier):
    client, recorder = notifier
    params = report("SM-not-ours", "sent")
    assert client.post(STATUS_PATH, data=params, headers=signature(params)).status_code == 204
    assert recorder.calls == [("SM-not-ours", "sent", None)]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},
        signature(report("SM1", "delivered"), token="another-accounts-token"),
        # Signed for another message: the form does not match what was signed.
        signature(report("SM2", "delivered")),
    ],
    ids=["missing", "garbage", "wrong-token", "other-form"],
)
def test_an_unsigned_or_forged_report_is_refused_and_changes_nothing(notifier, headers):
    client, recorder = notifier
    response = client.post(STATUS_PATH, data=report("SM1", "delivered"), headers=headers)
    assert response.status_code == 403
    assert recorder.calls == []


def test_a_report_signed_for_another_url_is_refused(notifier):
    client, recorder = notifier
    params = report("SM1", "delivered")
    forged = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(
        "https://elsewhere.example/v1/twilio/status", params
    )
    response = client.post(STATUS_PATH, data=params, headers={"X-Twilio-Signature": forged})
    assert response.status_code == 403
    assert recorder.calls == []


def test_without_an_auth_token_reports_are_refused_with_503(notifier):
    client, recorder = notifier
    client.app.state.settings = NotifierSettings(notifier_public_base_url=PUBLIC_URL)
    params = report("SM1", "delivered")
    response = client.post(STATUS_PATH, data=params, headers=signature(params))
    assert response.status_code == 503
    assert "HALSOSUPPORT_TWILIO_AUTH_TOKEN" in response.json()["detail"]
    assert recorder.calls == []
