"""SMS to the line through Twilio's webhook, signed with Twilio's own validator: the sender is
known by phone number, the reply is Swedish TwiML, and a forged request changes nothing."""

from xml.etree import ElementTree

from twilio.request_validator import RequestValidator

from halsosupport.auth import Role
from schemas.directory import EmployeeUpserted
from schemas.envelope import Channel
from schemas.reports import AbsenceType, SickReported, WellReported
from schemas.topics import DIRECTORY, REPORTS
from tests.integration.conftest import PUBLIC_BASE_URL, TWILIO_AUTH_TOKEN, start_intake
from tests.integration.org import ANNA_PHONE
from tests.support import events_on, eventually, random_id

SMS_PATH = "/v1/twilio/sms"


def signed(path: str, params: dict[str, str]) -> dict[str, str]:
    """The header Twilio would send for this request to our public URL."""
    signature = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(
        PUBLIC_BASE_URL + path, params
    )
    return {"X-Twilio-Signature": signature}


def send_sms(intake, body: str, sender: str = ANNA_PHONE):
    params = {"From": sender, "To": "+46101234567", "Body": body, "MessageSid": random_id("SM")}
    return intake.client.post(SMS_PATH, data=params, headers=signed(SMS_PATH, params))


def reply_text(response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    return ElementTree.fromstring(response.text).findtext("Message") or ""


def test_sjuk_registers_a_sick_report_from_the_senders_number(intake, kafka_bootstrap):
    reply = reply_text(send_sms(intake, "sjuk 24/11"))
    assert "Tack! Din sjukanmälan från 22/11 är registrerad" in reply
    assert "åter 24/11" in reply
    anna = intake.employees["Anna Andersson"]
    (event,) = eventually(lambda: events_on(kafka_bootstrap, REPORTS, anna))
    assert isinstance(event, SickReported)
    assert event.source.channel is Channel.SMS and event.absence_type is AbsenceType.SICK
    assert str(event.expected_return) == "2026-11-24"


def test_frisk_closes_the_spell_and_a_second_sjuk_is_refused_politely(intake, kafka_bootstrap):
    anna = intake.employees["Anna Andersson"]
    reply_text(send_sms(intake, "SJUK VAB"))
    assert "redan en pågående" in reply_text(send_sms(intake, "SJUK"))
    # The spell began today, so the employee is well from tomorrow.
    assert "friskanmäld från 23/11" in reply_text(send_sms(intake, "FRISK"))
    assert "ingen pågående" in reply_text(send_sms(intake, "FRISK"))
    events = eventually(lambda: (e := events_on(kafka_bootstrap, REPORTS, anna))[1:] and e)
    assert [type(e) for e in events] == [SickReported, WellReported]
    assert events[0].absence_type is AbsenceType.VAB


def test_twilio_retrying_the_same_message_registers_it_once(intake, kafka_bootstrap):
    params = {"From": ANNA_PHONE, "Body": "SJUK", "MessageSid": "SM-retried"}
    for _ in range(2):
        response = intake.client.post(SMS_PATH, data=params, headers=signed(SMS_PATH, params))
        assert "är registrerad" in reply_text(response)
    anna = intake.employees["Anna Andersson"]
    spells = intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).json()
    assert len(spells) == 1
    assert len(eventually(lambda: events_on(kafka_bootstrap, REPORTS, anna))) == 1


def test_an_unknown_number_gets_a_polite_reply_and_nothing_is_registered(intake):
    reply = reply_text(send_sms(intake, "SJUK", sender="+46709999999"))
    assert "känner inte igen ditt nummer" in reply and "inget har registrerats" in reply
    for employee_id in intake.employees.values():
        path = f"/v1/employees/{employee_id}/spells"
        assert intake.client.get(path, headers=intake.headers).json() == []


def test_help_and_gibberish_are_answered_without_registering(intake):
    assert "SJUK VAB" in reply_text(send_sms(intake, "HJÄLP"))
    assert "förstod inte" in reply_text(send_sms(intake, "hej hej"))
    anna = intake.employees["Anna Andersson"]
    spells = intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).json()
    assert spells == []


def test_stop_and_start_set_the_reminder_choice_on_the_directory_topic(intake, kafka_bootstrap):
    anna = intake.employees["Anna Andersson"]
    assert "inga fler påminnelser" in reply_text(send_sms(intake, "STOP"))

    def opt_outs() -> list[bool]:
        events = events_on(kafka_bootstrap, DIRECTORY, anna)
        return [e.sms_opt_out for e in events if isinstance(e, EmployeeUpserted)]

    eventually(lambda: opt_outs()[-1:] == [True])
    assert "igen" in reply_text(send_sms(intake, "START"))
    eventually(lambda: opt_outs()[-1:] == [False])


def test_a_forged_or_unsigned_request_is_refused_and_changes_nothing(intake, kafka_bootstrap):
    params = {"From": ANNA_PHONE, "Body": "SJUK", "MessageSid": "SM-forged"}
    forged = signed(SMS_PATH, {**params, "Body": "FRISK"})
    assert intake.client.post(SMS_PATH, data=params, headers=forged).status_code == 403
    assert intake.client.post(SMS_PATH, data=params).status_code == 403
    other_host = RequestValidator(TWILIO_AUTH_TOKEN).compute_signature(
        "https://attacker.example" + SMS_PATH, params
    )
    response = intake.client.post(SMS_PATH, data=params, headers={"X-Twilio-Signature": other_host})
    assert response.status_code == 403
    anna = intake.employees["Anna Andersson"]
    spells = intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).json()
    assert spells == []


def test_without_an_auth_token_the_webhooks_say_twilio_is_not_configured(database, kafka_bootstrap):
    with start_intake(database, kafka_bootstrap, twilio_auth_token=None) as intake:
        response = send_sms(intake, "SJUK")
        assert response.status_code == 503
        assert "HALSOSUPPORT_TWILIO_AUTH_TOKEN" in response.json()["detail"]


def test_a_report_by_sms_is_audited_with_the_employee_as_the_caller(intake):
    assert "registrerad" in reply_text(send_sms(intake, "sjuk"))
    anna = intake.employees["Anna Andersson"]
    listed = intake.client.get(
        "/v1/audit", params={"employee_id": anna}, headers=intake.token(Role.ADMIN)
    ).json()["items"]
    (by_sms,) = [i for i in listed if i["route"] == SMS_PATH]
    assert (by_sms["subject"], by_sms["role"], by_sms["action"]) == (
        anna,
        "employee",
        "register sick report (sms)",
    )
