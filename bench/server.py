"""A real uvicorn server for the benchmark: a subprocess on a free loopback port."""

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT_S = 300.0
MAX_BODY_BYTES = 256 * 1024 * 1024
# One bootstrap secret per benchmark process: each server start makes its secret the admin
# key named "bootstrap", so servers sharing a database must share it.
BOOTSTRAP_SECRET = "bench-" + secrets.token_urlsafe(24)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def status_kib(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (VmHWM: peak RSS, VmRSS: RSS now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def reset_peak(pid: int) -> float:
    """Reset the process's VmHWM (peak RSS) to its RSS of now (Linux: clear_refs "5");
    that RSS, in MB."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    return status_kib(pid, "VmRSS") / 1024


def peak_mb(pid: int) -> float:
    return status_kib(pid, "VmHWM") / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (/proc/<pid>/stat utime + stime)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state is fields[0]
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """`uvicorn app.main:app` with RACI_DATABASE_URL and a bootstrap admin key; use as a
    context manager. `secret` is the admin key, `base_url` ends in /api/v1's parent.

    One worker (the default) is one process, `pid`: uvicorn runs no supervisor then."""

    target = "app.main:app"

    def __init__(
        self, database_url: str, *, workers: int = 1, settings: dict[str, str] | None = None
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        # More RACI_ variables for the server, e.g. {"RACI_METRICS_PUBLIC": "true"}.
        self.settings = dict(settings or {})
        self.secret = BOOTSTRAP_SECRET
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115
            prefix="raci-bench-server-", suffix=".log", delete=False
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}

    def log_text(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def environment(self) -> dict[str, str]:
        return {
            "RACI_DATABASE_URL": self.database_url,
            "RACI_BOOTSTRAP_ADMIN_KEY": self.secret,
            "RACI_LOG_LEVEL": "WARNING",
            # Room for the re-import of a 10,000-initiative export (~20 MB; default 10 MB).
            "RACI_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
            # The load generators send many report requests at once with one key.
            "RACI_REPORTS_PER_KEY": "1000",
            **self.settings,
        }

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def start(self) -> "Server":
        self.port = free_port()
        env = os.environ | self.environment()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            self.target,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        self.process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        # One client for every poll, plain HTTP (verify=False spares loading the CA bundle).
        with httpx.Client(base_url=self.base_url, timeout=2, verify=False) as poll:  # noqa: S501
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    log = self.log_text()[-3000:]
                    self.stop()
                    self.cleanup()
                    raise RuntimeError(f"the server exited at start:\n{log}")
                try:
                    if poll.get("/readyz").status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        self.cleanup()
        raise RuntimeError(f"the server was not ready in {READY_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def cleanup(self) -> None:
        Path(self._log.name).unlink(missing_ok=True)

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self.cleanup()


class PeerServer(Server):
    """bench.peer_app under the same uvicorn settings, over the same database; it accepts
    the product's keys (the product server must have registered the bootstrap key)."""

    target = "bench.peer_app:app"

    def environment(self) -> dict[str, str]:
        return {"PEER_DATABASE_URL": self.database_url}
