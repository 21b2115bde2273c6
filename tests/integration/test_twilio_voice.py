"""The phone bot through Twilio's voice webhooks, signed with Twilio's own validator: a caller
is known by caller id or keyed-in personnummer, hears a read-back, and only a confirmation
registers anything."""

from urllib.parse import urlsplit
from xml.etree import ElementTree

from schemas.envelope import Channel
from schemas.reports import AbsenceType, SickReported, WellReported
from schemas.topics import REPORTS
from tests.integration.org import ANNA, ANNA_PHONE
from tests.integration.test_twilio_sms import signed
from tests.support import events_on, eventually, random_id

UNKNOWN_CALLER = "+46709999999"


class Call:
    """One phone call: posts what Twilio would post and follows the TwiML it gets back."""

    def __init__(self, intake, caller: str) -> None:
        self.intake = intake
        self.params = {"CallSid": random_id("CA"), "From": caller, "To": "+46101234567"}
        self.twiml = self._post("/v1/twilio/voice", {})

    def _post(self, url: str, extra: dict[str, str]) -> ElementTree.Element:
        params = {**self.params, **extra}
        response = self.intake.client.post(url, data=params, headers=signed(url, params))
        assert response.status_code == 200, response.text
        return ElementTree.fromstring(response.text)

    @property
    def said(self) -> str:
        return " ".join(say.text or "" for say in self.twiml.iter("Say"))

    def press(self, digits: str) -> "Call":
        return self._answer({"Digits": digits})

    def say(self, words: str) -> "Call":
        return self._answer({"SpeechResult": words})

    def _answer(self, answer: dict[str, str]) -> "Call":
        gather = self.twiml.find("Gather")
        assert gather is not None, f"nothing is asked: {self.said}"
        url = gather.attrib["action"]
        assert urlsplit(url).scheme == "", "callbacks are relative to the public URL"
        self.twiml = self._post(url, answer)
        return self

    @property
    def dialled(self) -> str | None:
        return self.twiml.findtext("Dial")


def test_a_known_caller_presses_1_hears_the_read_back_and_confirms(intake, kafka_bootstrap):
    call = Call(intake, ANNA_PHONE)
    assert "Välkommen" in call.said and "Tryck 1" in call.said
    call.press("1")
    assert "sjukanmäler dig från i dag, den 22 november" in call.said
    call.press("1")
    assert "anmälan är registrerad" in call.said
    assert call.twiml.find("Hangup") is not None
    anna = intake.employees["Anna Andersson"]
    (event,) = eventually(lambda: events_on(kafka_bootstrap, REPORTS, anna))
    assert isinstance(event, SickReported)
    assert event.source.channel is Channel.VOICE and event.absence_type is AbsenceType.SICK


def test_a_hang_up_before_confirming_registers_nothing(intake):
    call = Call(intake, ANNA_PHONE)
    call.press("3")
    assert "vård av sjukt barn" in call.said
    # The caller hangs up here: Twilio posts nothing more.
    anna = intake.employees["Anna Andersson"]
    assert intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).json() == []


def test_pressing_2_at_the_read_back_cancels(intake):
    call = Call(intake, ANNA_PHONE).press("1").press("2")
    assert "Inget har registrerats" in call.said
    anna = intake.employees["Anna Andersson"]
    assert intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).json() == []


def test_an_unknown_caller_keys_in_a_personnummer_and_speaks_the_choices(intake, kafka_bootstrap):
    call = Call(intake, UNKNOWN_CALLER)
    assert "personnummer" in call.said
    call.press(ANNA).say("Vab.")
    assert "vård av sjukt barn" in call.said
    call.say("Ja.")
    anna = intake.employees["Anna Andersson"]
    (event,) = eventually(lambda: events_on(kafka_bootstrap, REPORTS, anna))
    assert event.absence_type is AbsenceType.VAB and event.source.channel is Channel.VOICE


def test_three_wrong_personnummer_put_the_caller_through_to_a_nurse(intake):
    call = Call(intake, UNKNOWN_CALLER)
    call.press("199001011234").press("000000000000")
    assert call.dialled is None and "hittar inte" in call.said
    call.press("123")
    assert call.dialled == intake.settings.nurse_phone_number


def test_0_connects_to_the_nurse(intake):
    call = Call(intake, ANNA_PHONE).press("0")
    assert call.dialled == intake.settings.nurse_phone_number


def test_well_by_phone_closes_the_open_spell(intake, kafka_bootstrap):
    intake.sick("Anna Andersson", sick_from="2026-11-20")
    call = Call(intake, ANNA_PHONE).press("2")
    assert "friskanmäler dig från den 22 november" in call.said
    call.press("1")
    assert "friskanmälan är registrerad" in call.said
    anna = intake.employees["Anna Andersson"]
    events = eventually(lambda: (e := events_on(kafka_bootstrap, REPORTS, anna))[1:] and e)
    assert isinstance(events[-1], WellReported) and str(events[-1].well_from) == "2026-11-22"


def test_well_without_an_open_spell_goes_to_a_nurse(intake):
    call = Call(intake, ANNA_PHONE).press("2")
    assert "ingen pågående" in call.said
    assert call.dialled == intake.settings.nurse_phone_number


def test_a_forged_callback_cannot_register_a_report(intake):
    anna = intake.employees["Anna Andersson"]
    url = f"/v1/twilio/voice/confirm?employee={anna}&choice=1"
    params = {"CallSid": "CA-forged", "Digits": "1"}
    response = intake.client.post(url, data=params, headers={"X-Twilio-Signature": "bad"})
    assert response.status_code == 403
    assert intake.client.get(f"/v1/employees/{anna}/spells", headers=intake.headers).json() == []
