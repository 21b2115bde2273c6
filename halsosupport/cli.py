"""The `halsosupport` command. `halsosupport --help` lists the subcommands.

Settings come from the environment (prefix HALSOSUPPORT_, see the README); options here only
choose what to start.
"""

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(
    help="Hälsosupport: sick and well reporting over Kafka.",
    no_args_is_help=True,
    add_completion=False,
)


def _logging(service: str, settings: object) -> None:
    from halsosupport.logs import configure_logging

    configure_logging(service, settings.log_format, settings.log_level)  # type: ignore[attr-defined]


def _serve(app: object, host: str, port: int) -> None:
    """Uvicorn with our logging (its own access log would print raw paths and queries)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, log_config=None, access_log=False)  # type: ignore[arg-type]


@app.command()
def run(
    var_dir: Annotated[Path, typer.Option(help="where data, logs and mail are kept")] = Path("var"),
    memory_broker: Annotated[bool, typer.Option(help="keep topics in memory only")] = False,
    demo: Annotated[bool, typer.Option(help="seed the demo directory")] = True,
) -> None:
    """Start everything: broker, mail server, the five services, and the demo data."""
    from halsosupport import supervisor

    ports = supervisor.Ports.from_settings(supervisor.RunSettings())
    try:
        system = supervisor.start_system(
            var_dir=var_dir, ports=ports, durable_broker=not memory_broker, say=typer.echo
        )
    except RuntimeError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from error
    if demo:
        typer.echo("seeding the demo directory ...")
        try:
            system.seed_demo()
        except Exception as error:
            system.stop()
            typer.echo(f"error: seeding the demo directory failed: {error}", err=True)
            raise typer.Exit(1) from error
    _print_welcome(ports, var_dir)
    raise typer.Exit(supervisor.wait_until_interrupted(system, typer.echo))


def _print_welcome(ports: object, var_dir: Path) -> None:
    from halsosupport.auth import Role, issue_token
    from halsosupport.settings import CommonSettings

    token = issue_token(CommonSettings(), subject="nurse-demo", role=Role.NURSE)
    crisis = issue_token(CommonSettings(), subject="crisis-demo", role=Role.CRISIS)
    p = ports
    typer.echo(
        f"""
Hälsosupport is running.

  nurse console        http://127.0.0.1:{p.intake}/console#token={token}
  intake API (nurse)   http://127.0.0.1:{p.intake}/docs
  crisis dashboard     http://127.0.0.1:{p.stats}/dashboard#token={crisis}
  stats API            http://127.0.0.1:{p.stats}/v1/stats/today
  notifier health      http://127.0.0.1:{p.notifier}/healthz
  triggers health      http://127.0.0.1:{p.triggers}/healthz
  cases API            http://127.0.0.1:{p.cases}/docs
  mailbox              http://127.0.0.1:{p.mail_web}/  (files in {var_dir / "mail"}/; SMTP on {p.mail})
  logs                 {var_dir / "log"}/

Register a sick call (a nurse's token for the next 12 hours):

  export TOKEN={token}
  curl -s -H "Authorization: Bearer $TOKEN" 'http://127.0.0.1:{p.intake}/v1/employees?limit=3'
  curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
       -d '{{"employee_id": "<an employee_id from above>", "reason_visibility": "withheld"}}' \\
       http://127.0.0.1:{p.intake}/v1/reports/sick

Ctrl-C stops everything.
"""  # noqa: E501
    )


@app.command("seed-demo")
def seed_demo(
    employees_per_workplace: Annotated[
        int, typer.Option(min=1, help="staff per workplace besides its manager and deputy")
    ] = 9,
) -> None:
    """Import the small demo directory into the intake database (idempotent)."""
    from halsosupport.clock import SystemClock
    from halsosupport.demo import DEMO_EFFECTIVE_FROM, small_directory
    from services.intake.adapters.sql_repo import SqlUnitOfWork
    from services.intake.bootstrap import build_engine
    from services.intake.directory_handlers import import_directory
    from services.intake.settings import IntakeSettings

    engine = build_engine(IntakeSettings())
    with SqlUnitOfWork(engine) as uow:
        result = import_directory(
            uow=uow,
            clock=SystemClock(),
            directory=small_directory(employees_per_workplace=employees_per_workplace),
            effective_from=DEMO_EFFECTIVE_FROM,
            registered_by="demo-seed",
        )
        uow.commit()
    engine.dispose()
    typer.echo(f"demo directory: {result.events_published} changes published")


@app.command()
def erase(employee_id: Annotated[str, typer.Argument(help="the pseudonymous employee_id")]) -> None:
    """Erase one employee from every service: intake deletes them and tells the others
    (`EmployeeErased`, then a tombstone on the directory topic) through its outbox."""
    from halsosupport.audit import Access
    from halsosupport.clock import SystemClock
    from services.intake import erasure
    from services.intake.adapters.sql_repo import SqlUnitOfWork
    from services.intake.bootstrap import build_engine
    from services.intake.settings import IntakeSettings

    engine = build_engine(IntakeSettings())
    caller = Access(subject="cli", role="admin", route="halsosupport erase", client=None)
    try:
        with SqlUnitOfWork(engine) as uow:
            deleted = erasure.erase_employee(
                uow=uow, clock=SystemClock(), employee_id=employee_id, caller=caller
            )
            uow.commit()
    except erasure.UnknownEmployee:
        typer.echo(f"error: no employee {employee_id!r} in intake", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"erased {employee_id}: {deleted} rows deleted in intake; the others follow")


@app.command()
def purge() -> None:
    """Run the retention purge once in intake (nurse notes, spells), notifier (messages) and
    cases (the documentation of cases that ended)."""
    from halsosupport.clock import SystemClock
    from services.cases import bootstrap as cases
    from services.cases import handlers as cases_handlers
    from services.cases.adapters.sql_repo import SqlUnitOfWork as CasesUow
    from services.cases.settings import CasesSettings
    from services.intake import erasure
    from services.intake.bootstrap import build_engine
    from services.intake.settings import IntakeSettings
    from services.notifier import bootstrap as notifier
    from services.notifier import handlers as notifier_handlers
    from services.notifier.adapters.sql_repo import SqlUnitOfWork as NotifierUow
    from services.notifier.settings import NotifierSettings

    settings, clock = IntakeSettings(), SystemClock()
    engine = build_engine(settings)
    try:
        purged = erasure.purge_once(engine, clock, settings.retention())
    finally:
        engine.dispose()
    purged |= _purged_in(
        NotifierSettings(), notifier, NotifierUow, notifier_handlers.purge_once, clock
    )
    purged |= _purged_in(CasesSettings(), cases, CasesUow, cases_handlers.purge_once, clock)
    typer.echo(" ".join(f"{kind}={n}" for kind, n in purged.items()))


def _purged_in(
    settings: Any,
    service: Any,
    uow: Callable[[Any], Any],
    purge_once: Callable[..., dict[str, int]],
    clock: Any,
) -> dict[str, int]:
    """One service's purge on its own database (`service`: its bootstrap module)."""
    from halsosupport.db import service_engine

    engine = service_engine(settings, service.SERVICE, service.MIGRATIONS)
    try:
        return purge_once(lambda: uow(engine), clock, settings.retention())
    finally:
        engine.dispose()


@app.command("import-directory")
def import_directory_command(
    paths: Annotated[
        list[Path], typer.Argument(help="CSV files, a folder of them, or a .json file")
    ],
    effective_from: Annotated[
        str | None, typer.Option(help="YYYY-MM-DD when moves and departures take effect; today")
    ] = None,
    dry_run: Annotated[bool, typer.Option(help="validate and count, change nothing")] = False,
) -> None:
    """Import the organisation from the HR system's export into the intake database.

    The running intake publishes the changes; whoever is missing from the export has left."""
    from datetime import UTC, date, datetime

    from rich.console import Console
    from rich.table import Table

    from halsosupport.clock import SystemClock
    from halsosupport.localtime import local_date
    from services.intake.adapters.sql_repo import SqlUnitOfWork
    from services.intake.bootstrap import build_engine
    from services.intake.directory_handlers import import_directory
    from services.intake.directory_import import DirectoryRejected, parse_directory
    from services.intake.settings import IntakeSettings

    files: dict[str, bytes] = {}
    for path in paths:
        chosen = (
            sorted(p for p in path.iterdir() if p.suffix in (".csv", ".json"))
            if path.is_dir()
            else [path]
        )
        for file in chosen:
            files[file.name] = file.read_bytes()
    today = local_date(datetime.now(UTC))
    try:
        directory = parse_directory(files, today=today)
    except DirectoryRejected as error:
        table = Table("file", "line", "field", "why", title=f"Nothing imported: {error}")
        for p in error.problems:
            table.add_row(p.file, "" if p.line is None else str(p.line), p.field or "", p.why)
        Console(stderr=True).print(table)
        raise typer.Exit(1) from error
    engine = build_engine(IntakeSettings())
    with SqlUnitOfWork(engine) as uow:
        result = import_directory(
            uow=uow,
            clock=SystemClock(),
            directory=directory,
            effective_from=date.fromisoformat(effective_from) if effective_from else today,
            registered_by="import-cli",
        )
        if not dry_run:
            uow.commit()
    engine.dispose()
    verb = "would change" if dry_run else "changed"
    typer.echo(
        f"{verb}: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.__dict__.items())
    )


@app.command()
def replay(
    topic: Annotated[str, typer.Option(help="reports, directory or all")] = "all",
) -> None:
    """Republish every recorded event from the intake database, in order (for a broker that
    lost its data, or to rebuild downstream read models). Consumers drop duplicates."""
    from rich.progress import Progress

    from halsosupport.kafka_security import kafka_python_security
    from schemas.topics import DIRECTORY, REPORTS
    from services.intake.adapters.outbox_relay import replay as replay_outbox
    from services.intake.bootstrap import build_engine
    from services.intake.settings import IntakeSettings

    chosen = {"reports": {REPORTS}, "directory": {DIRECTORY}, "all": None}
    if topic not in chosen:
        typer.echo("error: --topic is reports, directory or all", err=True)
        raise typer.Exit(2)
    settings = IntakeSettings()
    engine = build_engine(settings)
    with Progress() as progress:
        task = progress.add_task("replaying", total=None)
        done = replay_outbox(
            engine,
            settings.kafka_bootstrap_servers,
            topics=chosen[topic],
            security=kafka_python_security(settings),
            on_progress=lambda n, total: progress.update(task, completed=n, total=total),
        )
    engine.dispose()
    typer.echo(f"republished {done} events to {settings.kafka_bootstrap_servers}")


@app.command()
def simulate(
    policy: Annotated[Path, typer.Option(help="the policy file to try")],
    from_: Annotated[str, typer.Option("--from", help="first day, YYYY-MM-DD")],
    to: Annotated[str, typer.Option(help="last day, YYYY-MM-DD")],
    against: Annotated[
        Path | None, typer.Option(help="the policy to compare with (default: the active one)")
    ] = None,
) -> None:
    """What-if: how many of each trigger another policy would have fired over the recorded
    history, per month and department, next to the active policy. Reads the reports topic;
    changes nothing."""
    from datetime import date

    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from halsosupport.kafka import read_all
    from halsosupport.kafka_security import kafka_python_security
    from schemas import decode
    from schemas.topics import REPORTS
    from services.triggers.handlers import ReportEvent
    from services.triggers.policy import InvalidPolicy, load_policy
    from services.triggers.settings import TriggersSettings
    from services.triggers.simulate import compare

    try:
        first, last = date.fromisoformat(from_), date.fromisoformat(to)
    except ValueError as error:
        typer.echo(f"error: --from and --to are dates like 2026-01-31 ({error})", err=True)
        raise typer.Exit(2) from error
    if last < first:
        typer.echo("error: --to is before --from", err=True)
        raise typer.Exit(2)
    settings = TriggersSettings()
    try:
        policies = [load_policy(against or settings.policy_file), load_policy(policy)]
    except InvalidPolicy as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    events: list[ReportEvent] = []
    skipped = 0
    with Progress(transient=True) as progress:
        reading = progress.add_task("reading reports", total=None)
        for _key, value in read_all(
            settings.kafka_bootstrap_servers,
            REPORTS,
            security=kafka_python_security(settings),
            on_progress=lambda n, total: progress.update(reading, completed=n, total=total),
        ):
            try:
                event = decode(value or b"")
            except ValueError:
                skipped += 1
                continue
            if isinstance(event, ReportEvent):
                events.append(event)
        running = progress.add_task("simulating", total=None)
        result = compare(
            events,
            policies,
            first,
            last,
            on_employee=lambda n, total: progress.update(running, completed=n, total=total),
        )
    table = Table(title=f"Triggers {first} – {last}: {len(events)} reports")
    for column in ("month", "department", "rule", *result.policies):
        table.add_column(column, justify="right" if "@" in column else "left")
    for month, department, rule_id, counts in result.rows():
        table.add_row(month, department, rule_id, *(str(c) for c in counts))
    table.add_row("total", "", "", *(str(c) for c in result.totals()), style="bold")
    Console().print(table)
    if skipped:
        typer.echo(f"{skipped} unreadable messages skipped (see the dead-letter topic)", err=True)


@app.command("preview-messages")
def preview_messages(
    out: Annotated[Path, typer.Option(help="folder for the rendered files")] = Path("var/preview"),
    language: Annotated[str, typer.Option(help="sv, en or all")] = "all",
) -> None:
    """Render every message template (each trigger rule too) with made-up data, as .txt and
    .html files, to read the wording without sending anything."""
    from services.notifier.preview import render_all
    from services.notifier.rendering import Renderer

    renderer = Renderer()
    known = renderer.languages()
    if language != "all" and language not in known:
        typer.echo(f"error: --language is one of {', '.join(known)} or all", err=True)
        raise typer.Exit(2)
    for path in render_all(out, known if language == "all" else [language], renderer):
        typer.echo(str(path))


@app.command()
def broker(
    port: Annotated[
        int, typer.Option(help="port on 127.0.0.1", envvar="HALSOSUPPORT_BROKER_PORT")
    ] = 9092,
    data_dir: Annotated[Path, typer.Option(help="durable storage folder")] = Path("var/kafka"),
    memory: Annotated[
        bool, typer.Option(help="memory storage: a restart loses every topic")
    ] = False,
) -> None:
    """Start the embedded Kafka-compatible broker (tansu) and create the topics."""
    from halsosupport import processes
    from halsosupport.embedded_broker import EmbeddedBroker
    from halsosupport.logs import configure_logging
    from halsosupport.settings import CommonSettings

    settings = CommonSettings()
    configure_logging("broker", settings.log_format, settings.log_level)
    embedded = EmbeddedBroker(port=port, data_dir=None if memory else data_dir).start()
    typer.echo(f"broker ready on {embedded.bootstrap_servers}; Ctrl-C stops it")
    processes.interrupt_on_sigterm()
    try:
        while embedded.alive():
            time.sleep(0.5)
        typer.echo("the broker stopped unexpectedly", err=True)
        raise typer.Exit(1)
    except KeyboardInterrupt:
        pass
    finally:
        embedded.stop()


@app.command()
def mail(
    port: Annotated[
        int, typer.Option(help="SMTP port on 127.0.0.1", envvar="HALSOSUPPORT_SMTP_PORT")
    ] = 1025,
    directory: Annotated[Path, typer.Option(help="where .eml files are kept")] = Path("var/mail"),
    web_port: Annotated[
        int,
        typer.Option(
            help="port of the read-only mailbox page on 127.0.0.1; 0 turns it off",
            envvar="HALSOSUPPORT_MAIL_WEB_PORT",
        ),
    ] = 1080,
    refuse_for: Annotated[
        float,
        typer.Option(
            help="refuse every message with 421 (try again later) for this many seconds "
            "after the start, to try out a mail server outage",
            min=0,
        ),
    ] = 0.0,
) -> None:
    """Development SMTP server that keeps every message as an .eml file, and a mailbox page."""
    from halsosupport import devmail, processes
    from halsosupport.logs import configure_logging
    from halsosupport.settings import CommonSettings

    settings = CommonSettings()
    configure_logging("mail", settings.log_format, settings.log_level)
    processes.interrupt_on_sigterm()
    devmail.serve(directory, port=port, web_port=web_port, refuse_for_s=refuse_for)


@app.command()
def intake() -> None:
    """The intake API and outbox relay (HALSOSUPPORT_INTAKE_PORT, default 8000)."""
    from services.intake.entrypoints.api import create_app
    from services.intake.settings import IntakeSettings

    settings = IntakeSettings()
    _logging("intake", settings)
    _serve(create_app(settings), settings.intake_host, settings.intake_port)


@app.command()
def notifier() -> None:
    """The notifier: consumer, sender and API (HALSOSUPPORT_NOTIFIER_PORT, default 8002)."""
    from services.notifier.entrypoints.api import create_app
    from services.notifier.settings import NotifierSettings

    settings = NotifierSettings()
    _logging("notifier", settings)
    _serve(create_app(settings), settings.notifier_host, settings.notifier_port)


@app.command()
def cases() -> None:
    """The cases service: consumer, outbox relay, reminders and API (HALSOSUPPORT_CASES_PORT,
    default 8004)."""
    from services.cases.entrypoints.api import create_app
    from services.cases.settings import CasesSettings

    settings = CasesSettings()
    _logging("cases", settings)
    _serve(create_app(settings), settings.cases_host, settings.cases_port)


stats_app = typer.Typer(help="The stats read model and API, and its rebuild.")
app.add_typer(stats_app, name="stats")


@stats_app.callback(invoke_without_command=True)
def stats(ctx: typer.Context) -> None:
    """The stats read model and API (HALSOSUPPORT_STATS_PORT, default 8001)."""
    if ctx.invoked_subcommand is not None:
        return
    from services.stats.entrypoints.api import create_app
    from services.stats.settings import StatsSettings

    settings = StatsSettings()
    _logging("stats", settings)
    _serve(create_app(settings), settings.stats_host, settings.stats_port)


@stats_app.command("rebuild")
def stats_rebuild() -> None:
    """Recompute the stats read model from the topics (stop the stats service first)."""
    from rich.progress import Progress

    from halsosupport.clock import SystemClock
    from halsosupport.kafka_security import kafka_python_security
    from halsosupport.localtime import local_date
    from services.stats.bootstrap import build_engine
    from services.stats.rebuild import rebuild
    from services.stats.settings import StatsSettings

    settings = StatsSettings()
    engine = build_engine(settings)
    with Progress() as progress:
        tasks: dict[str, object] = {}

        def show(topic: str, done: int, total: int) -> None:
            if topic not in tasks:
                tasks[topic] = progress.add_task(topic, total=total)
            progress.update(tasks[topic], completed=done, total=max(total, done))  # type: ignore[arg-type]

        today = local_date(SystemClock().now())
        applied = rebuild(
            engine,
            settings.kafka_bootstrap_servers,
            today,
            on_progress=show,
            security=kafka_python_security(settings),
        )
    engine.dispose()
    typer.echo("rebuilt: " + ", ".join(f"{topic} {n}" for topic, n in applied.items()))


@app.command()
def triggers() -> None:
    """The triggers stream processor (health on HALSOSUPPORT_TRIGGERS_PORT, default 8003)."""
    from services.triggers.entrypoints import worker
    from services.triggers.policy import InvalidPolicy, load_policy
    from services.triggers.settings import TriggersSettings

    settings = TriggersSettings()
    _logging("triggers", settings)
    try:
        policy = load_policy(settings.policy_file)
    except InvalidPolicy as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from error
    sys.argv = [sys.argv[0], "worker"]  # faust's worker reads its own command line
    worker.run(settings, policy)


@app.command()
def token(
    role: Annotated[str, typer.Option(help="nurse, manager, hr, rehab, crisis or admin")],
    subject: Annotated[str | None, typer.Option(help="pseudonymous staff id")] = None,
    workplace: Annotated[
        list[str] | None, typer.Option(help="a workplace id (repeatable; informational)")
    ] = None,
    department: Annotated[
        list[str] | None, typer.Option(help="a department id HR covers (repeatable)")
    ] = None,
    hours: Annotated[float, typer.Option(help="lifetime")] = 12.0,
) -> None:
    """Print a development bearer token for ROLE (refused in production)."""
    from datetime import timedelta

    from halsosupport.auth import Role, development_tokens_allowed, issue_token
    from halsosupport.settings import CommonSettings

    settings = CommonSettings()
    if not development_tokens_allowed(settings):
        typer.echo(
            "error: development tokens are not issued in production or when "
            "HALSOSUPPORT_AUTH_JWKS_URL names an identity provider; get a token from it",
            err=True,
        )
        raise typer.Exit(2)
    try:
        chosen = Role(role)
    except ValueError as error:
        typer.echo(f"error: unknown role {role!r}; use one of {[r.value for r in Role]}", err=True)
        raise typer.Exit(2) from error
    typer.echo(
        issue_token(
            settings,
            subject=subject or f"{chosen.value}-dev",
            role=chosen,
            workplaces=workplace,
            departments=department,
            lifetime=timedelta(hours=hours),
        )
    )


@app.command("export-schemas")
def export_schemas() -> None:
    """Write the JSON Schema of every event to schemas/json/."""
    from schemas.export import write_all

    for path in write_all():
        typer.echo(str(path))


@app.command("new-migration")
def new_migration(service: str, message: str) -> None:
    """Autogenerate a migration for SERVICE (intake, notifier, stats, cases) from its models."""
    from halsosupport.devtools import autogenerate_revision

    root = Path(__file__).resolve().parent.parent / "services" / service / "migrations"
    if not root.is_dir():
        typer.echo(f"error: {service!r} has no migrations folder", err=True)
        raise typer.Exit(2)
    autogenerate_revision(root, message)


audit_app = typer.Typer(help="The audit log: who read or changed whose data.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
AUDITED_SERVICES = ("intake", "notifier", "stats", "cases")


def _audited_engines():  # type: ignore[no-untyped-def]
    """Each audited service's database, from the common settings, migrated to head."""
    from halsosupport.db import service_engine
    from halsosupport.settings import CommonSettings

    settings = CommonSettings()
    root = Path(__file__).resolve().parent.parent / "services"
    return [(s, service_engine(settings, s, root / s / "migrations")) for s in AUDITED_SERVICES]


@audit_app.command("verify")
def audit_verify() -> None:
    """Walk each service's hash chain; exit 1 when a row was edited, removed or moved."""
    from sqlmodel import Session

    from halsosupport import audit

    broken = False
    for service, engine in _audited_engines():
        with Session(engine) as session:
            verdict = audit.verify_chain(audit.chain(session))
        engine.dispose()
        if verdict.ok:
            typer.echo(
                f"{service}: OK, {verdict.checked} rows checked, last hash {verdict.last_hash}"
            )
        else:
            broken = True
            typer.echo(
                f"{service}: BROKEN at row {verdict.broken_seq} ({verdict.why}); "
                f"{verdict.checked} rows before it are whole"
            )
    raise typer.Exit(1 if broken else 0)


@audit_app.command("show")
def audit_show(
    employee: Annotated[str, typer.Option(help="the pseudonymous employee_id")],
) -> None:
    """Every service's entries for one employee, oldest first."""
    from sqlmodel import Session

    from halsosupport import audit

    found = []
    for service, engine in _audited_engines():
        with Session(engine) as session:
            found += [(e.at, service, e) for e in audit.entries_of(session, employee, limit=10**9)]
        engine.dispose()
    for _, service, e in sorted(found, key=lambda f: (audit.as_utc(f[0]), f[1], f[2].seq or 0)):
        typer.echo(
            f"{e.at:%Y-%m-%d %H:%M:%S} {service:<8} #{e.seq:<6} {e.subject} ({e.role}) "
            f"{e.action} via {e.route} from {e.client or '-'}"
        )
    if not found:
        typer.echo(f"no entries for {employee}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
