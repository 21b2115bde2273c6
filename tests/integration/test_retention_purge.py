"""The retention purge against the real databases: notes cleared, old spells and messages
deleted, nothing current touched."""

from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from halsosupport.db import service_engine
from halsosupport.retention import Retention
from services.intake.erasure import purge_once
from services.notifier import handlers
from services.notifier.adapters.sql_repo import SqlUnitOfWork as NotifierUow
from services.notifier.adapters.tables import Message
from services.notifier.bootstrap import MIGRATIONS, SERVICE
from services.notifier.settings import NotifierSettings
from tests.integration.conftest import NOW
from tests.support import FixedClock, random_id


def test_intake_clears_old_notes_then_deletes_old_spells(intake):
    engine: Engine = intake.client.app.state.runtime.engine
    sick = intake.sick("Anna Andersson", reason_category="other", note="ring på fredag")
    well = intake.well("Anna Andersson", well_from="2026-11-23")
    assert well.status_code in (200, 201), well.text
    open_spell = intake.sick("Bertil Berg", note="öppen")
    assert open_spell.status_code == 201, open_spell.text
    spells = f"/v1/employees/{intake.employees['Anna Andersson']}/spells"

    def anna() -> list[dict]:
        return intake.client.get(spells, headers=intake.headers).json()

    assert purge_once(engine, FixedClock(NOW + timedelta(days=30)), Retention()) == {
        "nurse_notes": 0,
        "spells": 0,
    }
    assert anna()[0]["note"] == "ring på fredag"
    purged = purge_once(engine, FixedClock(NOW + timedelta(days=92)), Retention())
    assert purged == {"nurse_notes": 1, "spells": 0}
    assert [s["spell_id"] for s in anna()] == [sick.json()["spell_id"]]
    assert anna()[0]["note"] is None
    purged = purge_once(engine, FixedClock(NOW + timedelta(days=6 * 366 + 2)), Retention())
    assert purged == {"nurse_notes": 0, "spells": 1}
    assert anna() == []
    bo = f"/v1/employees/{intake.employees['Bertil Berg']}/spells"
    assert intake.client.get(bo, headers=intake.headers).json()[0]["note"] == "öppen"


def test_the_notifier_deletes_finished_messages_past_their_retention(database):
    settings = NotifierSettings(
        database_url=database.url, database_schema_prefix=database.schema_prefix
    )
    engine = service_engine(settings, SERVICE, MIGRATIONS)
    try:
        kept = {}
        with NotifierUow(engine) as uow:
            for status, age in [("sent", 100), ("failed", 100), ("pending", 100), ("sent", 10)]:
                message = Message(
                    dedupe_key=random_id("k"),
                    source_event_id=random_id("ev")[:36],
                    employee_id="e",
                    workplace_id="w",
                    channel="email",
                    template="sick_reported",
                    context={},
                    status=status,
                    next_attempt_at=NOW,
                    created_at=NOW - timedelta(days=age),
                )
                uow.session.add(message)
                kept[message.dedupe_key] = status == "pending" or age == 10
            uow.commit()
        purged = handlers.purge_once(lambda: NotifierUow(engine), FixedClock(NOW), Retention())
        assert purged == {"messages": 2}
        with NotifierUow(engine) as uow:
            left = {m.dedupe_key for m in uow.session.exec(select(Message))}
        assert left == {key for key, keep in kept.items() if keep}
    finally:
        engine.dispose()
