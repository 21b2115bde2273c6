"""Settings of the notifier service (environment, prefix HALSOSUPPORT_)."""

from pydantic import SecretStr

from halsosupport.settings import CommonSettings


class NotifierSettings(CommonSettings):
    notifier_host: str = "127.0.0.1"
    notifier_port: int = 8002
    notifier_group_id: str = "halsosupport-notifier"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025  # the development capture server (`halsosupport mail`)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    mail_from: str = "Hälsosupport <halsosupport@kommun.example>"
    # A provider that keeps answering "later" (SMTP 4xx, no answer, Twilio 429/5xx) is asked
    # again for this long after the message was due, then the message fails. Bounded by time,
    # not tries: with the backoff doubling from 2 s up to 5 min, a count of 10 tries used to
    # fail every message of a mail server away for 7 to 14 minutes.
    send_retry_for_s: float = 86_400.0
    send_backoff_base_s: float = 2.0
    send_backoff_cap_s: float = 300.0
    # A recipient or employee the directory does not know yet is waited for without spending
    # attempts, for this long after the message was due; then the message fails. The directory's
    # events normally arrive within seconds; a workplace without a manager for a day is for an
    # administrator to see (GET /v1/messages/failed) and the HR system to fix.
    directory_wait_s: float = 86_400.0
    # Links in mails point at the manager's view of the employee in the deployed system.
    manager_view_base_url: str = "http://127.0.0.1:8000/console"
    # The language of messages to people the directory gives none for: sv or en.
    default_language: str = "sv"
    # SMS through Twilio: with no account, SMS messages fail at once and are listed as failed.
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from_number: str | None = None
    # Where the twilio client sends its requests; tests point it at a local Twilio stand-in.
    twilio_api_base_url: str = "https://api.twilio.com"
    # The notifier's address as Twilio calls it, for delivery status callbacks.
    notifier_public_base_url: str = "http://127.0.0.1:8002"
    line_phone_number: str = "+46101234567"
    # Morning digests go out at this local time (Europe/Stockholm).
    digest_time: str = "07:00"
    # Messages that always go at once, whatever the recipient chose: templates or trigger rules.
    urgent_messages: list[str] = [
        "sick_reported",
        "scheduler_away",
        "trigger_withdrawn",
        "fk_report_due",
        "return_plan_due",
    ]
    # The crisis team's daily statistics mail: when (local time), to whom, and from where.
    crisis_mail_time: str = "07:30"
    crisis_team_emails: list[str] = []
    stats_base_url: str = "http://127.0.0.1:8001"
