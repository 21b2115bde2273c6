"""Developer commands that write code, not data: new migration revisions."""

from pathlib import Path

from alembic import command

from halsosupport.db import alembic_config, make_engine


def autogenerate_revision(migrations_dir: Path, message: str) -> None:
    """Compare the models with a scratch SQLite database at head and write a new revision."""
    scratch = Path("var/tmp/autogenerate.sqlite3")
    scratch.parent.mkdir(parents=True, exist_ok=True)
    scratch.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{scratch}", schema="scratch")
    config = alembic_config(engine, migrations_dir)
    command.upgrade(config, "head")
    number = len(list((migrations_dir / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))) + 1
    command.revision(config, message=message, autogenerate=True, rev_id=f"{number:04d}")
    engine.dispose()
    scratch.unlink(missing_ok=True)
