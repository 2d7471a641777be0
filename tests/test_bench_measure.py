"""bench.measure: pairs alternate, spreads are medians, failed requests are counted."""

import socket
import threading
from collections.abc import Iterator

import pytest

from bench.measure import Failures, Http, Pairs, paired, spread
from bench.server import free_port


class _FakeServer:
    """What Http needs of a bench.server.Server."""

    def __init__(self, port: int) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.headers: dict[str, str] = {}


def test_pairs_alternate_their_order_and_warm_up_first() -> None:
    calls: list[str] = []

    def a() -> float:
        calls.append("a")
        return 2.0

    def b() -> float:
        calls.append("b")
        return 1.0

    found = paired(4, a, b, Failures())
    assert calls == ["a", "b", "a", "b", "b", "a", "a", "b", "b", "a"]
    assert found.ratios == [2.0] * 4
    assert found.figure("x") == {"x": 2.0, "x_min": 2.0, "x_max": 2.0}


def test_a_failed_side_drops_its_pair_and_is_counted() -> None:
    failures = Failures()
    answers = iter([1.0, 1.0, None, 1.0, 3.0, 1.0])
    found = paired(2, lambda: 1.0, lambda: next(answers), failures, warm_up=False)
    assert failures.dropped_pairs == 0
    found = paired(3, lambda: 2.0, lambda: next(answers), failures, warm_up=False)
    assert failures.dropped_pairs == 1
    assert sorted(found.ratios) == [2.0 / 3.0, 2.0]


def test_spread_is_median_min_max() -> None:
    assert spread([3.0, 1.0, 2.0, 10.0, 4.0]) == {"median": 3.0, "min": 1.0, "max": 10.0}
    assert spread([]) == {"median": None, "min": None, "max": None}
    assert Pairs([1.0], [0.0]).ratios == []


def test_a_refused_request_is_counted_not_raised() -> None:
    failures = Failures()
    http = Http(_FakeServer(free_port()), failures, timeout=2)  # nobody listens there
    assert http.get("/api/v1/roles") is None
    assert http.timer("GET", "/api/v1/roles")() is None
    http.close()
    assert failures.counts == {"GET /api/v1/roles: refused": 2}
    assert failures.total == 2


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_timed_out_request_is_counted_not_raised(silent_port: int) -> None:
    failures = Failures()
    http = Http(_FakeServer(silent_port), failures, timeout=0.3)
    assert http.get("/api/v1/reports/findings", what="findings") is None
    http.close()
    assert failures.counts == {"findings: timeout": 1}
