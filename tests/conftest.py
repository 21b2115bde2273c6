"""Fixtures: a real Kafka-protocol broker and real databases, never mocks.

Broker, in order: `HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS` if set; a testcontainers Kafka (KRaft)
when a Docker engine answers; otherwise the embedded tansu broker on a free port.
Databases: every database test runs on SQLite and on PostgreSQL
(`HALSOSUPPORT_TEST_POSTGRES_URL`, default the local server); PostgreSQL tests are skipped only
when it is unreachable, and the summary says so.
"""

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from halsosupport.embedded_broker import EmbeddedBroker
from halsosupport.kafka import ensure_topics
from halsosupport.processes import free_port
from tests.private_postgres import PrivatePostgres, available

POSTGRES_URL = os.environ.get(
    "HALSOSUPPORT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_notes: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for note in dict.fromkeys(_notes):
        terminalreporter.write_line(f"halsosupport: {note}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the tests that start the whole system (seven processes each) and the
    browser tests run one after another on one worker: two at once would starve each other on a
    small machine."""
    for item in items:
        heavy = item.get_closest_marker("e2e") or item.get_closest_marker("chaos")
        if heavy or "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("whole-system"))


def _docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    external = os.environ.get("HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS")
    if external:
        ensure_topics(external)
        _notes.append(f"Kafka: external broker {external}")
        yield external
        return
    if _docker_engine_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("confluentinc/cp-kafka:7.6.1").with_kraft() as container:
            bootstrap = container.get_bootstrap_server()
            ensure_topics(bootstrap)
            _notes.append(f"Kafka: testcontainers Kafka (KRaft) at {bootstrap}")
            yield bootstrap
        return
    broker = EmbeddedBroker(port=free_port()).start()
    # Workers the tests start inherit this (see CommonSettings.kafka_one_record_per_batch).
    os.environ["HALSOSUPPORT_KAFKA_ONE_RECORD_PER_BATCH"] = "true"
    _notes.append(f"Kafka: embedded tansu broker (no Docker engine) at {broker.bootstrap_servers}")
    try:
        yield broker.bootstrap_servers
    finally:
        broker.stop()


_postgres_error: list[str] = []


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not (checked once per session)."""
    if not _postgres_error:
        try:
            engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
            with engine.connect() as conn:
                conn.exec_driver_sql("select 1")
            engine.dispose()
            _postgres_error.append("")
        except Exception as error:
            _postgres_error.append(f"{type(error).__name__}: {error}".splitlines()[0])
    return _postgres_error[0] or None


@dataclass(frozen=True)
class TestDatabase:
    """A database for one test: a URL template and a schema prefix of its own."""

    __test__ = False
    kind: str
    url: str
    schema_prefix: str


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestDatabase]:
    if request.param == "sqlite":
        yield TestDatabase("sqlite", f"sqlite:///{tmp_path}/db/{{service}}.sqlite3", "")
        return
    why = _postgres_reachable()
    if why:
        _notes.append(f"PostgreSQL tests SKIPPED: unreachable at {POSTGRES_URL} ({why})")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_URL}: {why}")
    _notes.append(f"PostgreSQL: {POSTGRES_URL}")
    prefix = f"t{uuid.uuid4().hex[:10]}_"
    yield TestDatabase("postgresql", POSTGRES_URL, prefix)
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        schemas = conn.exec_driver_sql(
            "select schema_name from information_schema.schemata where schema_name like %s",
            (prefix + "%",),
        ).scalars()
        for schema in list(schemas):
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL cluster of the test's own, to stop and start (tests/private_postgres.py).
    Missing tools fail the test rather than skip it: the project's machines and CI have them."""
    why = available()
    if why:
        pytest.fail(f"a private PostgreSQL cluster cannot be made here: {why}")
    cluster = PrivatePostgres().start()
    try:
        yield cluster
    finally:
        cluster.remove()
