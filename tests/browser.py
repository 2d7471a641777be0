"""A real headless Chromium for tests, driven over the DevTools protocol.

No browser download and no driver: Debian's `chromium` package (installed by .ci/run), started
with a fresh profile and `--remote-debugging-port=0`, and a small synchronous DevTools client
on `websockets`. `find_chromium()` is None when no binary is found; the tests then skip.
"""

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# What this machine's closed network needs: no calls home, no sync, no component updates.
# A machine without internet access: no name resolves but the loopback address, and no
# proxy can be found either.
OFFLINE_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--no-proxy-server",
)

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
)


def find_chromium() -> str | None:
    """The Chromium binary: $RACI_CHROMIUM, else the first of CANDIDATES on PATH."""
    named = os.environ.get("RACI_CHROMIUM")
    if named:
        return named if Path(named).is_file() else shutil.which(named)
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class DevToolsError(RuntimeError):
    pass


class Page:
    """One tab: navigate, type, click, read the DOM, take screenshots."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        # Every Network.requestWillBeSent since Network.enable, kept whatever waits consume.
        self.requests: list[dict[str, Any]] = []

    # --- protocol --------------------------------------------------------------------

    def call(self, method: str, timeout: float = 20.0, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        message_id = self._next_id
        self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline, method)
            if message.get("id") == message_id:
                if "error" in message:
                    raise DevToolsError(f"{method}: {message['error']}")
                result: dict[str, Any] = message.get("result", {})
                return result
            if "method" in message:
                self._keep(message)

    def _keep(self, message: dict[str, Any]) -> None:
        self._events.append(message)
        if message["method"] == "Network.requestWillBeSent":
            self.requests.append(message.get("params", {}))

    def wait_for(self, event: str, timeout: float = 20.0) -> dict[str, Any]:
        """The first `event` since the last `expect_navigation`/`wait_for`; waits for it."""
        deadline = time.monotonic() + timeout
        while True:
            for index, message in enumerate(self._events):
                if message["method"] == event:
                    del self._events[: index + 1]
                    params: dict[str, Any] = message.get("params", {})
                    return params
            message = self._receive(deadline, event)
            if "method" in message:
                self._keep(message)

    def _receive(self, deadline: float, waiting_for: str) -> dict[str, Any]:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no answer from Chromium for {waiting_for}")
        try:
            raw = self._socket.recv(timeout=remaining)
        except TimeoutError:
            raise TimeoutError(f"no answer from Chromium for {waiting_for}") from None
        message: dict[str, Any] = json.loads(raw)
        return message

    # --- what a test does --------------------------------------------------------------

    def set_viewport(self, width: int, height: int) -> None:
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def goto(self, url: str) -> None:
        """Open `url` and wait until the page (after any redirects) has loaded."""
        self._events.clear()
        answer = self.call("Page.navigate", url=url)
        if answer.get("errorText"):
            raise DevToolsError(f"could not open {url}: {answer['errorText']}")
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable)."""
        answer = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in answer:
            details = answer["exceptionDetails"]
            thrown = details.get("exception", {}).get("description") or details.get("text")
            raise DevToolsError(f"script failed: {thrown}")
        return answer["result"].get("value")

    def type_into(self, selector: str, text: str) -> None:
        """Focus the field and type `text` as keyboard input."""
        self.click(selector)
        self.call("Input.insertText", text=text)

    def click(self, selector: str) -> None:
        """A real mouse click at the middle of the element."""
        box = self.evaluate(
            f"(() => {{ const e = document.querySelector({json.dumps(selector)});"
            " if (!e) return null; e.scrollIntoView({block: 'center'});"
            " const r = e.getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
        )
        if box is None:
            raise DevToolsError(f"nothing matches {selector!r}")
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent",
                type=kind,
                x=box["x"],
                y=box["y"],
                button="left",
                clickCount=1,
            )

    def click_and_wait(self, selector: str) -> None:
        """Click something that loads a new page (a submit button) and wait for that page."""
        self._events.clear()
        self.click(selector)
        self.wait_for("Page.loadEventFired")

    def emulate_media(self, media: str) -> None:
        self.call("Emulation.setEmulatedMedia", media=media)

    def screenshot(self, path: Path, *, full_page: bool = False) -> Path:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
            size = self.call("Page.getLayoutMetrics")["cssContentSize"]
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": size["width"],
                "height": size["height"],
                "scale": 1,
            }
        data = self.call("Page.captureScreenshot", **params)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))
        return path

    def pdf(self, path: Path) -> Path:
        data = self.call("Page.printToPDF", preferCSSPageSize=True, printBackground=False)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data["data"]))
        return path


def _devtools_port(profile: Path, process: subprocess.Popen[bytes], timeout: float) -> int:
    """Chromium writes its chosen port to DevToolsActivePort in the profile once it listens."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DevToolsError(f"Chromium exited at start with code {process.returncode}")
        if marker.exists():
            first_line = marker.read_text().splitlines()[:1]
            if first_line and first_line[0].isdigit():
                return int(first_line[0])
        time.sleep(0.05)
    raise TimeoutError("Chromium did not open its DevTools port")


@contextmanager
def chromium(
    binary: str,
    *,
    width: int = 1366,
    height: int = 900,
    timeout: float = 30.0,
    extra_flags: Sequence[str] = (),
) -> Iterator[Page]:
    """A headless Chromium with a fresh profile and one blank tab; closed afterwards.
    `extra_flags` go on its command line (e.g. OFFLINE_FLAGS)."""
    profile = Path(tempfile.mkdtemp(prefix="raci-chromium-"))
    log = (profile.parent / f"{profile.name}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - a fixed binary and fixed flags
        [
            binary,
            *FLAGS,
            *extra_flags,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-debugging-address=127.0.0.1",
            f"--window-size={width},{height}",
            "about:blank",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        port = _devtools_port(profile, process, timeout)
        deadline = time.monotonic() + timeout
        target = None
        while target is None:
            targets = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=5).json()
            target = next((t for t in targets if t.get("type") == "page"), None)
            if target is None:
                if time.monotonic() > deadline:
                    raise TimeoutError("Chromium opened no tab")
                time.sleep(0.1)
        with connect(
            target["webSocketDebuggerUrl"], max_size=None, open_timeout=timeout, proxy=None
        ) as socket:
            page = Page(socket)
            page.call("Page.enable")
            page.call("Runtime.enable")
            page.set_viewport(width, height)
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        shutil.rmtree(profile, ignore_errors=True)
        Path(log.name).unlink(missing_ok=True)
