"""`halsosupport run`: the embedded broker, the development mail server and the five services
as child processes, the demo directory seeded, the addresses printed; Ctrl-C stops it all."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

import httpx

from halsosupport import processes
from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.settings import CommonSettings


class RunSettings(CommonSettings):
    """The ports `run` uses: the same variables each service reads on its own."""

    broker_port: int = 9092
    smtp_port: int = 1025
    intake_port: int = 8000
    stats_port: int = 8001
    notifier_port: int = 8002
    triggers_port: int = 8003
    cases_port: int = 8004
    mail_web_port: int = 1080


@dataclass(frozen=True)
class Ports:
    broker: int = 9092
    mail: int = 1025
    mail_web: int = 1080
    intake: int = 8000
    stats: int = 8001
    notifier: int = 8002
    triggers: int = 8003
    cases: int = 8004

    @classmethod
    def from_settings(cls, settings: RunSettings) -> "Ports":
        return cls(
            broker=settings.broker_port,
            mail=settings.smtp_port,
            mail_web=settings.mail_web_port,
            intake=settings.intake_port,
            stats=settings.stats_port,
            notifier=settings.notifier_port,
            triggers=settings.triggers_port,
            cases=settings.cases_port,
        )

    def as_env(self) -> dict[str, str]:
        return {
            "HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{self.broker}",
            "HALSOSUPPORT_SMTP_PORT": str(self.mail),
            "HALSOSUPPORT_MAIL_WEB_PORT": str(self.mail_web),
            "HALSOSUPPORT_INTAKE_PORT": str(self.intake),
            "HALSOSUPPORT_STATS_PORT": str(self.stats),
            "HALSOSUPPORT_NOTIFIER_PORT": str(self.notifier),
            "HALSOSUPPORT_TRIGGERS_PORT": str(self.triggers),
            "HALSOSUPPORT_CASES_PORT": str(self.cases),
        }


SERVICES = ("intake", "triggers", "notifier", "stats", "cases")
CLI = (sys.executable, "-m", "halsosupport.cli")


@dataclass
class System:
    """Everything `run` started, in start order."""

    broker: EmbeddedBroker
    children: dict[str, Popen[bytes]]
    ports: Ports
    var_dir: Path
    env: dict[str, str]

    def seed_demo(self, *, employees_per_workplace: int = 9) -> None:
        """Import the demo directory with the services' own settings (idempotent); the load
        benchmarks ask for more staff per workplace than the demo's nine."""
        subprocess.run(
            [*CLI, "seed-demo", "--employees-per-workplace", str(employees_per_workplace)],
            env=self.env,
            check=True,
        )

    def stop(self) -> None:
        for name in reversed(list(self.children)):
            processes.stop(self.children[name])
        self.broker.stop()

    def dead_child(self) -> str | None:
        for name, child in self.children.items():
            if child.poll() is not None:
                return name
        return None if self.broker.alive() else "broker"


def start_system(
    *,
    var_dir: Path,
    ports: Ports,
    durable_broker: bool = True,
    extra_env: dict[str, str] | None = None,
    say: Callable[[str], None] = lambda _text: None,
) -> System:
    """Start broker, mail server and services; return once every /healthz answers."""
    busy = [
        f"{name} {port}" for name, port in ports.__dict__.items() if processes.port_in_use(port)
    ]
    if busy:
        raise RuntimeError(f"ports already in use ({', '.join(busy)}): is the system running?")
    log_dir = var_dir / "log"
    say(f"starting the embedded Kafka broker on 127.0.0.1:{ports.broker} ...")
    broker = EmbeddedBroker(
        port=ports.broker,
        data_dir=(var_dir / "kafka") if durable_broker else None,
        log_dir=log_dir,
    ).start()
    env = {**os.environ, **ports.as_env(), **(extra_env or {})}
    env.setdefault("HALSOSUPPORT_LOG_FORMAT", "json")
    env.setdefault("HALSOSUPPORT_KAFKA_ONE_RECORD_PER_BATCH", "true")  # see CommonSettings
    # Everything a run keeps lives under var_dir unless the environment says otherwise.
    env.setdefault("HALSOSUPPORT_DATABASE_URL", f"sqlite:///{var_dir}/db/{{service}}.sqlite3")
    env.setdefault("HALSOSUPPORT_TRIGGERS_DATA_DIR", str(var_dir / "triggers"))
    system = System(broker=broker, children={}, ports=ports, var_dir=var_dir, env=env)
    try:
        system.children["mail"] = processes.spawn(
            [
                *CLI,
                "mail",
                "--port",
                str(ports.mail),
                "--directory",
                str(var_dir / "mail"),
                "--web-port",
                str(ports.mail_web),
            ],  # fmt: skip
            env=env,
            log_path=log_dir / "mail.log",
        )
        for name in SERVICES:
            say(f"starting {name} ...")
            system.children[name] = processes.spawn(
                [*CLI, name], env=env, log_path=log_dir / f"{name}.log"
            )
        for name in SERVICES:
            _wait_healthy(name, getattr(ports, name), system.children[name], log_dir)
    except Exception:
        system.stop()
        raise
    return system


def _wait_healthy(
    name: str, port: int, child: Popen[bytes], log_dir: Path, timeout_s: float = 90
) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"{name} exited with {child.returncode}; see {log_dir / name}.log")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(
        f"{name} did not answer /healthz within {timeout_s:.0f} s; see {log_dir / name}.log"
    )


def wait_until_interrupted(system: System, say: Callable[[str], None]) -> int:
    """Block until Ctrl-C or SIGTERM (exit 0) or until a part dies (exit 1); stop everything."""
    processes.interrupt_on_sigterm()
    try:
        while True:
            dead = system.dead_child()
            if dead is not None:
                log_file = system.var_dir / "log" / f"{dead}.log"
                say(f"{dead} stopped unexpectedly; see {log_file}. Stopping everything.")
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        say("stopping ...")
        return 0
    finally:
        system.stop()
        say("stopped.")
