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
    # Attempts before a message is marked failed; the backoff doubles from 2 s up to 5 min,
    # so 10 attempts span about 15 minutes of outage.
    send_attempts: int = 10
    send_backoff_base_s: float = 2.0
    send_backoff_cap_s: float = 300.0
