"""`halsosupport stats rebuild` recomputes the read model from the topics alone."""

import os
import subprocess
import sys

from sqlalchemy import create_engine
from sqlmodel import Session, select

from services.stats.adapters.tables import Employee, Spell
from tests.integration.test_stats_flow import directory, sick
from tests.support import publish, random_id


def test_rebuild_recreates_the_read_model_from_the_topics(database, kafka_bootstrap, tmp_path):
    dep, workplace = random_id("d"), random_id("w")
    staff = [random_id("e") for _ in range(3)]
    publish(
        kafka_bootstrap,
        *directory(dep, workplace, staff),
        *[sick(e, dep, workplace) for e in staff],
    )
    env = {
        **os.environ,
        "HALSOSUPPORT_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "HALSOSUPPORT_DATABASE_URL": database.url,
        "HALSOSUPPORT_DATABASE_SCHEMA_PREFIX": database.schema_prefix,
    }
    done = subprocess.run(
        [sys.executable, "-m", "halsosupport.cli", "stats", "rebuild"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "rebuilt: halsosupport.directory.v1" in done.stdout
    url = database.url.replace("{service}", "stats")
    schema = f"{database.schema_prefix}stats" if database.kind == "postgresql" else None
    engine = create_engine(
        url, connect_args={"options": f"-csearch_path={schema}"} if schema else {}
    )
    with Session(engine) as session:
        spells = session.exec(select(Spell).where(Spell.workplace_id == workplace)).all()
        employees = session.exec(select(Employee).where(Employee.workplace_id == workplace)).all()
    engine.dispose()
    assert sorted(s.employee_id for s in spells) == sorted(staff)
    assert len(employees) == 3
