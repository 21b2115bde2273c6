"""Intake while its PostgreSQL is away: a clear 503 with Retry-After that says to retry, and a
retry with the same Idempotency-Key once the database is back stores the report once, with its
outbox event. Runs on a private cluster (tests/private_postgres.py), never the shared server."""

import pytest
import sqlalchemy as sa

from halsosupport.db import make_engine, service_database_url
from tests.conftest import TestDatabase
from tests.integration.conftest import start_intake

pytestmark = pytest.mark.postgres


def test_a_report_while_the_database_is_away_gets_503_and_its_retry_is_kept_once(
    private_postgres, kafka_bootstrap
):
    database = TestDatabase("postgresql", private_postgres.url, "outage_")
    with start_intake(database, kafka_bootstrap) as intake:
        anna = intake.employees["Anna Andersson"]
        headers = {**intake.headers, "Idempotency-Key": "outage-1"}

        def post() -> object:
            body = {"employee_id": anna, "sick_from": "2026-11-21"}
            return intake.client.post("/v1/reports/sick", json=body, headers=headers)

        private_postgres.down()
        refused = post()
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) > 0
        assert refused.json()["retry"] is True and "retry" in refused.json()["detail"]
        assert intake.client.get("/healthz").status_code == 503  # says so too

        private_postgres.up()
        accepted = post()  # the pool's pre-ping replaces the connections the stop closed
        assert accepted.status_code == 201, accepted.text
        again = post()
        assert (again.status_code, again.json()) == (201, accepted.json())

    engine = make_engine(service_database_url(database.url, "intake"), schema="outage_intake")
    try:
        with engine.connect() as conn:
            spells = conn.exec_driver_sql("select spell_id from spell").scalars().all()
            events = conn.execute(sa.text("select event_id, payload from outbox")).all()
    finally:
        engine.dispose()
    assert spells == [accepted.json()["spell_id"]]
    assert [e for e, p in events if accepted.json()["spell_id"] in p] == [
        accepted.json()["event_id"]
    ]
