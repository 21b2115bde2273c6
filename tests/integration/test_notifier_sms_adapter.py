"""The notifier's SMS adapter through the real `twilio` library against a local Twilio stand-in:
what Twilio receives, and how its refusals are classified for the retry policy."""

import pytest

from halsosupport.processes import free_port
from services.notifier.adapters.errors import PermanentSendError, TransientSendError
from services.notifier.adapters.twilio_sms import TwilioSms
from services.notifier.settings import NotifierSettings
from tests.integration.conftest import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN

FROM_NUMBER = "+46101234567"
TO_NUMBER = "+46701234567"
PUBLIC_URL = "https://notifier.halsosupport.example.se"


def sms_settings(base_url: str, **overrides: object) -> NotifierSettings:
    return NotifierSettings(
        **{
            "twilio_account_sid": TWILIO_ACCOUNT_SID,
            "twilio_auth_token": TWILIO_AUTH_TOKEN,
            "twilio_from_number": FROM_NUMBER,
            "twilio_api_base_url": base_url,
            "notifier_public_base_url": PUBLIC_URL + "/",
            **overrides,
        }
    )


def send(sms: TwilioSms, body: str = "Anna är sjukanmäld från 22/11.") -> str:
    return sms.send(to=TO_NUMBER, body=body, message_key="<k1@halsosupport>")


def test_twilio_receives_the_message_with_our_account_and_status_callback(twilio_standin):
    sid = send(TwilioSms(sms_settings(twilio_standin.base_url)), "Hej Åsa! Öppna länken.")
    (received,) = twilio_standin.messages
    assert sid == received.sid and sid.startswith("SM")
    assert received.account_sid == TWILIO_ACCOUNT_SID
    assert (received.to, received.from_) == (TO_NUMBER, FROM_NUMBER)
    assert received.body == "Hej Åsa! Öppna länken."
    assert received.status_callback == PUBLIC_URL + "/v1/twilio/status"


def test_a_wrong_auth_token_is_refused_for_good(twilio_standin):
    sms = TwilioSms(sms_settings(twilio_standin.base_url, twilio_auth_token="not-the-token"))
    with pytest.raises(PermanentSendError, match="401"):
        send(sms)
    assert twilio_standin.messages == []


@pytest.mark.parametrize("code", [21211, 21610])
def test_an_invalid_or_unsubscribed_number_is_refused_for_good(twilio_standin, code):
    twilio_standin.fail_next(1, 400, code, f"The 'To' number {TO_NUMBER} is not valid")
    with pytest.raises(PermanentSendError, match=str(code)) as raised:
        send(TwilioSms(sms_settings(twilio_standin.base_url)))
    # The error text is stored and logged: Twilio's message would carry the phone number.
    assert TO_NUMBER not in str(raised.value)


@pytest.mark.parametrize(("status", "code"), [(429, 20429), (503, None), (500, 20500)])
def test_throttling_and_server_errors_are_tried_again(twilio_standin, status, code):
    twilio_standin.fail_next(1, status, code)
    sms = TwilioSms(sms_settings(twilio_standin.base_url))
    with pytest.raises(TransientSendError, match=str(status)):
        send(sms)
    assert send(sms) == twilio_standin.messages[0].sid


def test_twilio_unreachable_is_tried_again():
    sms = TwilioSms(sms_settings(f"http://127.0.0.1:{free_port()}"))
    with pytest.raises(TransientSendError, match="unavailable"):
        send(sms)


@pytest.mark.parametrize(
    "missing", ["twilio_account_sid", "twilio_auth_token", "twilio_from_number"]
)
def test_without_an_account_sending_fails_for_good_and_says_what_to_set(twilio_standin, missing):
    sms = TwilioSms(sms_settings(twilio_standin.base_url, **{missing: None}))
    with pytest.raises(PermanentSendError, match="HALSOSUPPORT_TWILIO_ACCOUNT_SID"):
        send(sms)
    assert twilio_standin.requests == 0
