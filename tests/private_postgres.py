"""A PostgreSQL cluster of the test's own, to stop and start without touching the machine's
shared server: initdb into a temporary folder, trust authentication, a free port on 127.0.0.1
and its Unix socket in the same folder. As root (PostgreSQL refuses to run as root) it runs as
the `postgres` user."""

import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from halsosupport import processes


def available() -> str | None:
    """None when a private cluster can be made here, else why not."""
    missing = [tool for tool in ("initdb", "pg_ctl") if shutil.which(tool) is None]
    if missing:
        return f"{', '.join(missing)} not on PATH"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser"
    return None


@dataclass
class PrivatePostgres:
    port: int = field(default_factory=processes.free_port)
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="chaos-pg-")))

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _as_owner(self, *args: str) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *args]
        return list(args)

    def _run(self, *args: str) -> None:
        subprocess.run(self._as_owner(*args), check=True, capture_output=True, timeout=120)

    def start(self) -> "PrivatePostgres":
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-sync", "--no-instructions",
        )  # fmt: skip
        return self.up()

    def up(self) -> "PrivatePostgres":
        """Start the cluster and wait until it takes connections. fsync is off: a fast stop
        writes everything out anyway, and only the machine crashing would lose data."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200"
        )
        log = str(self.folder / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")
        return self

    def down(self, mode: str = "fast") -> None:
        """Stop the cluster: `fast` ends every session (as a restart for an upgrade does),
        `immediate` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self, down_s: float) -> float:
        """Stop, stay down `down_s`, start; returns how long it took in all."""
        began = time.monotonic()
        self.down()
        time.sleep(down_s)
        self.up()
        return time.monotonic() - began

    def remove(self) -> None:
        try:
            self.down("immediate")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.folder, ignore_errors=True)
