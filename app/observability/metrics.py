"""Prometheus metrics, served at `/metrics` in the text exposition format.

- `raci_http_requests_total{method,route,status}` and
  `raci_http_request_duration_seconds{method,route,status}` (a histogram), labelled with the
  route *template* (`/api/v1/initiatives/{key}`), never the raw path, so that the number of
  series stays bounded whatever URLs clients send; paths no route serves are `unmatched`.
- `raci_findings{rule,severity}`: the number of findings of each rule in the unfiltered
  findings report (live initiatives, as of today), computed on scrape from the database and
  kept for `metrics_findings_max_age_seconds` (default 30) so that frequent scrapes cost
  one report at most that often. `raci_findings_up` is 0 when they could not be computed.

`/metrics` needs an API key (any scope: `Authorization: Bearer <secret>`, Prometheus's
`authorization` scrape setting) unless `RACI_METRICS_PUBLIC=true`, and is not in the OpenAPI
document. It tells request counts and finding counts, no names, yet how busy the service is
and how the portfolio stands is nobody's business but its users': public only where the
scraper's network is trusted.

Several worker processes (`raci serve --workers N`, gunicorn): request metrics are kept per
process unless `PROMETHEUS_MULTIPROC_DIR` names an empty, writable directory, set before the
processes start; every worker then writes its samples there and any worker's `/metrics`
answers for all of them. `raci serve --workers N` (N > 1) sets one up by itself when it is
not set. The findings are read from the shared database, so every worker agrees on them.
"""

import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from app.db.engine import Database
from app.deps import require

PATH = "/metrics"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED_ROUTE = "unmatched"
# Decided when the process starts, as prometheus_client decides where samples are kept.
_MULTIPROCESS = bool(os.environ.get(MULTIPROC_ENV))
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter(
    "raci_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "raci_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def method_label(method: str) -> str:
    """Clients may send any method name: the unknown ones share one label."""
    return method if method in _METHODS else "OTHER"


def observe(method: str, route: str, status: int, seconds: float) -> None:
    labels = (method_label(method), route, str(status))
    REQUESTS.labels(*labels).inc()
    LATENCY.labels(*labels).observe(seconds)


class FindingsCollector(Collector):
    """`raci_findings{rule,severity}` from the findings report, computed on scrape, cached."""

    def __init__(self, database: Database, max_age_seconds: float) -> None:
        self.database = database
        self.max_age_seconds = max_age_seconds
        self._lock = threading.Lock()
        self._computed_at: float | None = None
        self._counts: list[tuple[str, str, int]] = []
        self._waived = 0
        self._up = 0

    def _refresh(self) -> None:
        # Imported here: the reports import every domain model, and metrics load early.
        from app.reports.findings import FindingsQuery, findings_report
        from app.rules.service import rule_states

        try:
            with self.database.transaction(write=False) as session:
                report = findings_report(session, FindingsQuery())
                severities = {code: state.severity for code, state in rule_states(session).items()}
        except SQLAlchemyError:
            self._counts, self._waived, self._up = [], 0, 0
            return
        # Waived findings are left out of the counts (the report's one waiver step).
        self._counts = [
            (rule, severities.get(rule, ""), count) for rule, count in report.by_rule.items()
        ]
        self._waived = len(report.waived)
        self._up = 1

    def describe(self) -> Iterable[Metric]:
        """The metric names without their values. Without it the registry would call
        `collect` on registration, computing the whole findings report at every start."""
        yield GaugeMetricFamily("raci_findings", "", labels=["rule", "severity"])
        yield GaugeMetricFamily("raci_findings_waived", "")
        yield GaugeMetricFamily("raci_findings_up", "")

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._computed_at is None or now - self._computed_at >= self.max_age_seconds:
                self._refresh()
                self._computed_at = now
            counts, waived, up = list(self._counts), self._waived, self._up
        findings = GaugeMetricFamily(
            "raci_findings",
            "Findings in the unfiltered findings report (live initiatives, as of today), by "
            "rule; waived findings are not counted.",
            labels=["rule", "severity"],
        )
        for rule, severity, count in counts:
            findings.add_metric([rule, severity], count)
        yield findings
        yield GaugeMetricFamily(
            "raci_findings_waived",
            "Findings accepted by an active waiver (not counted above).",
            waived,
        )
        yield GaugeMetricFamily(
            "raci_findings_up", "1 when the findings could be computed at the last scrape.", up
        )


@contextmanager
def shared_metrics(workers: int) -> Iterator[None]:
    """While several workers are started and run: a fresh directory for their samples in
    PROMETHEUS_MULTIPROC_DIR (which they inherit), unless it already names one."""
    if workers < 2 or os.environ.get(MULTIPROC_ENV):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="raci-metrics-") as folder:
        os.environ[MULTIPROC_ENV] = folder
        try:
            yield
        finally:
            del os.environ[MULTIPROC_ENV]


def _process_registry() -> CollectorRegistry:
    if _MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def exposition(findings: CollectorRegistry) -> bytes:
    """The request metrics (this process's, or every worker's) and the findings."""
    return generate_latest(_process_registry()) + generate_latest(findings)


def router(findings: FindingsCollector, *, public: bool = False) -> APIRouter:
    """`GET /metrics`, out of the OpenAPI document; behind any API key unless `public`."""
    registry = CollectorRegistry(auto_describe=True)
    registry.register(findings)
    metrics_router = APIRouter(dependencies=[] if public else [require("read")])

    @metrics_router.get(PATH, include_in_schema=False)
    def metrics(_: Request) -> Response:
        # The classic text format (0.0.4): every Prometheus version reads it.
        return Response(exposition(registry), media_type=CONTENT_TYPE_PLAIN_0_0_4)

    return metrics_router


def iter_samples(text: str, name: str) -> Iterator[tuple[dict[str, str], float]]:
    """Parse `name`'s samples out of an exposition (for tests and checks)."""
    from prometheus_client.parser import text_string_to_metric_families

    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name:
                yield sample.labels, sample.value
