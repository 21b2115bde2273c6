"""Twilio webhooks: SMS commands and the phone bot.

Every request must carry a valid `X-Twilio-Signature` over the public URL from settings and the
posted form; anything else gets 403 and changes nothing. The words and decisions live in
`sms_commands` and `voice_flow`; this module only translates between Twilio and the handlers,
which are the same ones the nurse API uses.
"""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

import structlog
from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import Response
from starlette.datastructures import FormData
from twilio.twiml.messaging_response import MessagingResponse
from twilio.twiml.voice_response import VoiceResponse

from halsosupport import audit
from halsosupport.rate_limit import limited
from halsosupport.twilio_webhooks import signed_form
from schemas.envelope import Channel, Source
from schemas.reports import AbsenceType, ReasonVisibility
from services.intake import domain, handlers, personnummer, queries, sms_commands, voice_flow
from services.intake.adapters.sql_repo import SqlUnitOfWork
from services.intake.bootstrap import IntakeRuntime
from services.intake.command_runner import Idempotency, run_command
from services.intake.entrypoints.deps import Runtime
from services.intake.settings import IntakeSettings

log = structlog.get_logger("intake.twilio")
router = APIRouter(
    prefix="/v1/twilio", include_in_schema=False, dependencies=[Depends(limited("twilio"))]
)
SWEDISH = "sv-SE"
IDENTIFY_ATTEMPTS = 3


def _settings(request: Request) -> IntakeSettings:
    settings: IntakeSettings = request.app.state.settings
    return settings


_signed_form = signed_form(
    lambda request: _settings(request).twilio_auth_token,
    lambda request: _settings(request).public_base_url,
)


SignedForm = Annotated[FormData, Depends(_signed_form)]


def _twiml(response: MessagingResponse | VoiceResponse) -> Response:
    return Response(content=str(response), media_type="application/xml")


def _today(rt: IntakeRuntime) -> date:
    return domain.local_date(rt.clock.now())


def _employee_id_by_phone(rt: IntakeRuntime, number: str) -> str | None:
    with SqlUnitOfWork(rt.engine) as uow:
        employee = queries.employee_by_phone(uow, number)
        today = _today(rt)
        if employee is None or (employee.employed_to is not None and employee.employed_to < today):
            return None
        return employee.employee_id


def _as_employee(request: Request, employee_id: str) -> audit.Access:
    """Who is on record in the audit log for an SMS or a call: the employee reporting for
    themselves (identified by their number or personnummer), from Twilio's address."""
    route = request.scope.get("route")
    return audit.Access(
        subject=employee_id,
        role="employee",
        route=getattr(route, "path", request.url.path),
        client=request.client.host if request.client else None,
    )


def _audited(
    rt: IntakeRuntime, uow: SqlUnitOfWork, access: audit.Access, action: str, result: Any
) -> Any:
    audit.append(uow.session, access, action=action, employee_ids=[access.subject],
                 at=rt.clock.now())  # fmt: skip
    return result


def _sick(
    rt: IntakeRuntime,
    employee_id: str,
    absence_type: AbsenceType,
    expected_return: date | None,
    source: Source,
    idempotency: Idempotency | None,
    access: audit.Access,
) -> None:
    today = _today(rt)
    report = domain.SickReport(
        absence_type=absence_type,
        sick_from=today,
        degree_percent=100,
        reason_category=None,
        reason_visibility=ReasonVisibility.WITHHELD,
        work_related=False,
        expected_return=expected_return,
        followup_on=None,
        note=None,
    )
    run_command(
        rt,
        lambda uow: _audited(
            rt,
            uow,
            access,
            f"register {absence_type.value} report ({source.channel.value})",
            _ids(
                handlers.register_sick(
                    uow=uow,
                    clock=rt.clock,
                    settings=rt.settings,
                    who=handlers.EmployeeRef(employee_id=employee_id),
                    report=report,
                    source=source,
                )
            ),
        ),
        idempotency=idempotency,
    )


def _well(
    rt: IntakeRuntime,
    employee_id: str,
    source: Source,
    idempotency: Idempotency | None,
    access: audit.Access,
) -> date:
    """Close the open spell from today, or from tomorrow when it began today."""

    def command(uow: SqlUnitOfWork) -> dict[str, Any]:
        today = _today(rt)
        open_spell = uow.open_spells([employee_id]).get(employee_id)
        began_today = open_spell is not None and open_spell.sick_from >= today
        well_from = today + timedelta(days=1) if began_today else today
        result = handlers.register_well(
            uow=uow,
            clock=rt.clock,
            who=handlers.EmployeeRef(employee_id=employee_id),
            well_from=well_from,
            source=source,
        )
        answer = {**_ids(result), "well_from": well_from.isoformat()}
        return _audited(rt, uow, access, f"register well report ({source.channel.value})", answer)

    _status, body = run_command(rt, command, idempotency=idempotency)
    return date.fromisoformat(body["well_from"])


def _ids(result: handlers.Registered) -> dict[str, Any]:
    return {"spell_id": result.spell_id, "event_id": str(result.event_id)}


# --- SMS -------------------------------------------------------------------------------------


@router.post("/sms")
def sms(form: SignedForm, rt: Runtime, request: Request) -> Response:
    reply = MessagingResponse()
    reply.message(_sms_reply(rt, form, request))
    return _twiml(reply)


def _sms_reply(rt: IntakeRuntime, form: FormData, request: Request) -> str:
    line = rt.settings.line_phone_number
    employee_id = _employee_id_by_phone(rt, str(form.get("From", "")))
    if employee_id is None:
        log.info("sms_from_unknown_number")
        return sms_commands.unknown_number_text(line)
    today = _today(rt)
    command = sms_commands.parse_sms(str(form.get("Body", "")), today=today)
    source = Source(channel=Channel.SMS, registered_by="sms")
    message_sid = str(form.get("MessageSid", "")) or None
    idempotency = Idempotency.of("twilio-sms", message_sid, "sms", {"body": str(command)})
    log.info("sms_command", employee_id=employee_id, command=type(command).__name__)
    access = _as_employee(request, employee_id)
    try:
        match command:
            case sms_commands.Sick():
                _sick(
                    rt,
                    employee_id,
                    command.absence_type,
                    command.expected_return,
                    source,
                    idempotency,
                    access,
                )
                return sms_commands.sick_registered_text(command, today)
            case sms_commands.Well():
                return sms_commands.well_registered_text(
                    _well(rt, employee_id, source, idempotency, access)
                )
            case sms_commands.OptOut() | sms_commands.OptIn():
                opted_out = isinstance(command, sms_commands.OptOut)
                run_command(
                    rt,
                    lambda uow: _audited(
                        rt,
                        uow,
                        access,
                        "opt out of SMS" if opted_out else "opt in to SMS",
                        {
                            "changed": handlers.set_sms_opt_out(
                                uow=uow,
                                clock=rt.clock,
                                employee_id=employee_id,
                                opted_out=opted_out,
                                source=source,
                            )
                        },
                    ),
                    status_code=status.HTTP_200_OK,
                )
                if opted_out:
                    return sms_commands.opted_out_text()
                return sms_commands.opted_in_text()
            case sms_commands.Help():
                return sms_commands.help_text(line)
            case sms_commands.NotUnderstood():
                return sms_commands.not_understood_text(command.why, line)
    except domain.ReportRejected as rejected:
        log.info("sms_rejected", employee_id=employee_id, reason=type(rejected).__name__)
        return sms_commands.rejected_text(command, rejected, line)
    raise AssertionError(f"unhandled SMS command {command!r}")


# --- Phone bot -------------------------------------------------------------------------------


def _url(path: str, **query: str) -> str:
    return f"{router.prefix}/voice{path}" + (f"?{urlencode(query)}" if query else "")


def _say(target: Any, text: str) -> None:
    target.say(text, language=SWEDISH)


def _menu(employee_id: str, *, greet: bool) -> VoiceResponse:
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        language=SWEDISH,
        speech_timeout="auto",
        action=_url("/menu", employee=employee_id),
        method="POST",
    )
    if greet:
        _say(gather, voice_flow.GREETING)
    _say(gather, voice_flow.MENU)
    response.redirect(_url("/menu", employee=employee_id), method="POST")
    return response


def _ask_personnummer(attempt: int, apology: str | None = None) -> VoiceResponse:
    response = VoiceResponse()
    if apology:
        _say(response, apology)
    gather = response.gather(
        input="dtmf",
        num_digits=12,
        finish_on_key="#",
        action=_url("/identify", attempt=str(attempt)),
        method="POST",
    )
    if attempt == 1:
        _say(gather, voice_flow.GREETING)
    _say(gather, voice_flow.ASK_PERSONNUMMER)
    _say(response, voice_flow.CANCELLED)
    return response


def _connect_to_nurse(rt: IntakeRuntime, text: str = voice_flow.CONNECTING) -> VoiceResponse:
    response = VoiceResponse()
    _say(response, text)
    response.dial(rt.settings.nurse_phone_number)
    return response


@router.post("/voice")
def voice(form: SignedForm, rt: Runtime) -> Response:
    employee_id = _employee_id_by_phone(rt, str(form.get("From", "")))
    if employee_id is None:
        return _twiml(_ask_personnummer(1))
    log.info("call_identified_by_caller_id", employee_id=employee_id)
    return _twiml(_menu(employee_id, greet=True))


@router.post("/voice/identify")
def identify(form: SignedForm, rt: Runtime, attempt: int = 1) -> Response:
    employee_id = None
    try:
        canonical = personnummer.parse(str(form.get("Digits", "")), today=_today(rt)).canonical
        with SqlUnitOfWork(rt.engine) as uow:
            employee_id = uow.employee_id_by_personnummer(canonical)
    except personnummer.InvalidPersonnummer:
        employee_id = None
    if employee_id is not None:
        return _twiml(_menu(employee_id, greet=False))
    if attempt >= IDENTIFY_ATTEMPTS:
        return _twiml(_connect_to_nurse(rt, f"{voice_flow.NOT_RECOGNISED} {voice_flow.CONNECTING}"))
    return _twiml(_ask_personnummer(attempt + 1, apology=voice_flow.NOT_RECOGNISED))


@router.post("/voice/menu")
def menu(form: SignedForm, rt: Runtime, employee: str) -> Response:
    choice = voice_flow.menu_choice(
        str(form.get("Digits", "")) or None, str(form.get("SpeechResult", "")) or None
    )
    if choice is None:
        return _twiml(_menu(employee, greet=False))
    if choice is voice_flow.Choice.NURSE:
        return _twiml(_connect_to_nurse(rt))
    return _twiml(_read_back(rt, employee, choice))


def _read_back(rt: IntakeRuntime, employee_id: str, choice: voice_flow.Choice) -> VoiceResponse:
    today = _today(rt)
    well_from = None
    if choice is voice_flow.Choice.WELL:
        with SqlUnitOfWork(rt.engine) as uow:
            open_spell = uow.open_spells([employee_id]).get(employee_id)
        if open_spell is None:
            return _connect_to_nurse(rt, f"{voice_flow.NO_OPEN_SPELL} {voice_flow.CONNECTING}")
        well_from = today + timedelta(days=1) if open_spell.sick_from >= today else today
    response = VoiceResponse()
    gather = response.gather(
        input="dtmf speech",
        num_digits=1,
        language=SWEDISH,
        speech_timeout="auto",
        action=_url("/confirm", employee=employee_id, choice=choice.value),
        method="POST",
    )
    _say(gather, voice_flow.read_back(choice, today=today, well_from=well_from).text)
    _say(response, voice_flow.CANCELLED)
    response.hangup()
    return response


@router.post("/voice/confirm")
def confirm(
    form: SignedForm, rt: Runtime, request: Request, employee: str, choice: voice_flow.Choice
) -> Response:
    answer = voice_flow.confirmed(
        str(form.get("Digits", "")) or None, str(form.get("SpeechResult", "")) or None
    )
    if answer is None:
        return _twiml(_read_back(rt, employee, choice))
    response = VoiceResponse()
    if not answer:
        _say(response, voice_flow.CANCELLED)
        response.hangup()
        return _twiml(response)
    source = Source(channel=Channel.VOICE, registered_by="voice")
    call_sid = str(form.get("CallSid", "")) or None
    idempotency = Idempotency.of("twilio-voice", call_sid, "voice", {"choice": choice.value})
    access = _as_employee(request, employee)
    register: Callable[[], object]
    if choice is voice_flow.Choice.WELL:
        register = lambda: _well(rt, employee, source, idempotency, access)  # noqa: E731
    else:
        absence = AbsenceType.VAB if choice is voice_flow.Choice.VAB else AbsenceType.SICK
        register = lambda: _sick(rt, employee, absence, None, source, idempotency, access)  # noqa: E731
    try:
        register()
    except domain.ReportRejected as rejected:
        log.info("call_rejected", employee_id=employee, reason=type(rejected).__name__)
        text = voice_flow.rejected(choice, isinstance(rejected, domain.SpellConflict))
        return _twiml(_connect_to_nurse(rt, f"{text} {voice_flow.CONNECTING}"))
    log.info("call_registered", employee_id=employee, choice=choice.name)
    _say(response, voice_flow.registered(choice))
    response.hangup()
    return _twiml(response)
