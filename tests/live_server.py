"""A real `raci serve` in a subprocess on a free loopback port, for tests that need real
concurrency, signals or a crash. Its logs go to a file; every wait is a bounded poll."""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.database import PROJECT_ROOT

START_TIMEOUT = 90.0
STOP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(
    condition: Callable[[], bool], timeout: float, message: str, interval: float = 0.02
) -> None:
    """Poll `condition` until it holds; fail with `message` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s: {message}")


class LiveServer:
    """`python -m app.cli serve` with the given settings (RACI_ variables)."""

    def __init__(self, database_url: str, **settings: str) -> None:
        self.database_url = database_url
        self.settings = settings
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._log_dir = tempfile.mkdtemp(prefix="raci-live-")
        self.log_path = Path(self._log_dir) / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def _environment(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("RACI_") and k != "PROMETHEUS_MULTIPROC_DIR"
        }
        env["RACI_DATABASE_URL"] = self.database_url
        # No webhook worker process unless a test asks for one (tests/test_webhooks_crash.py).
        env["RACI_WEBHOOK_WORKER"] = "off"
        env.update({f"RACI_{name.upper()}": value for name, value in self.settings.items()})
        return env

    def start(self, *args: str) -> "LiveServer":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
                [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port), *args],
                cwd=PROJECT_ROOT,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        wait_until(self._ready, START_TIMEOUT, f"server to answer /readyz; log:\n{self.logs()}")
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"server exited with {self.process.returncode}:\n{self.logs()}")
        try:
            return httpx.get(self.base + "/readyz", timeout=5).status_code == 200
        except httpx.TransportError:
            return False

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def signal(self, signum: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(signum)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not go in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT)


@contextmanager
def live_server(database_url: str, *args: str, **settings: str) -> Iterator[LiveServer]:
    server = LiveServer(database_url, **settings)
    try:
        yield server.start(*args)
    finally:
        server.stop()


def client(server: LiveServer, secret: str, timeout: float = 120.0) -> httpx.Client:
    return httpx.Client(
        base_url=server.base + "/api/v1",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=timeout,
    )
