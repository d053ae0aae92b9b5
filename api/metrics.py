"""Prometheus metrics written by hand: requests and latency per route template, match latency, catalogue gauges."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from catalog.models import CrawlRun, Programme

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
Labels = tuple[tuple[str, str], ...]


def escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def number(value: float) -> str:
    """Exact enough for Unix timestamps (``:g`` would round them to six digits)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def sample(name: str, labels: Labels, value: float) -> str:
    inner = ",".join(f'{k}="{escape(v)}"' for k, v in labels)
    return f"{name}{{{inner}}} {number(value)}" if inner else f"{name} {number(value)}"


def header(name: str, kind: str, help_text: str) -> list[str]:
    return [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]


class Histogram:
    """Cumulative buckets, sum and count per label set."""

    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...] = BUCKETS) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self.series: dict[Labels, list[float]] = {}  # bucket counts..., sum, count
        self._lock = threading.Lock()

    def observe(self, labels: Labels, seconds: float) -> None:
        with self._lock:
            row = self.series.setdefault(labels, [0.0] * (len(self.buckets) + 2))
            for i, bound in enumerate(self.buckets):
                row[i] += seconds <= bound
            row[-2] += seconds
            row[-1] += 1

    def lines(self) -> list[str]:
        out = header(self.name, "histogram", self.help)
        with self._lock:
            for labels, row in sorted(self.series.items()):
                for bound, n in zip(self.buckets, row, strict=False):
                    out.append(sample(f"{self.name}_bucket", (*labels, ("le", f"{bound:g}")), n))
                out.append(sample(f"{self.name}_bucket", (*labels, ("le", "+Inf")), row[-1]))
                out += [sample(f"{self.name}_sum", labels, row[-2]), sample(f"{self.name}_count", labels, row[-1])]
        return out


class Metrics:
    """The app's live counters; gauges about the catalogue are read from the database when scraped."""

    def __init__(self) -> None:
        self.requests = Histogram("foerdermatch_http_request_duration_seconds",
                                  "HTTP request latency by method, route template and status.")
        self.match = Histogram("foerdermatch_match_duration_seconds", "Time the matcher took for one profile.")

    def request_lines(self) -> list[str]:
        """The request counter is the histogram's count, kept as its own counter for dashboards."""
        name = "foerdermatch_http_requests_total"
        out = header(name, "counter", "HTTP requests by method, route template and status.")
        with self.requests._lock:
            out += [sample(name, labels, row[-1]) for labels, row in sorted(self.requests.series.items())]
        return out


class MetricsMiddleware:
    """Times every HTTP request; labels it with the matched route's template, never the raw path."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            labels = (("method", scope["method"]), ("route", route), ("status", str(status)))
            self.metrics.requests.observe(labels, time.perf_counter() - start)


def _time_matches(runtime: Any, histogram: Histogram) -> None:
    """Matches run from several routes (desk, API, exports); timing the runtime catches them all."""
    original = getattr(runtime, "_untimed_match", None) or runtime.match
    runtime._untimed_match = original

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            histogram.observe((), time.perf_counter() - start)

    runtime.match = timed


def instrument(app: FastAPI) -> None:
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    _time_matches(app.state.runtime, metrics.match)


# --- gauges read when scraped -----------------------------------------------------------------------------------


def _gauge(name: str, help_text: str, samples: Iterable[tuple[Labels, float]]) -> list[str]:
    return header(name, "gauge", help_text) + [sample(name, labels, value) for labels, value in samples]


def _epoch(t: dt.datetime) -> float:
    return (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).timestamp()


def catalogue_lines(engine: Engine) -> list[str]:
    with Session(engine) as s:
        per_source = dict(s.exec(select(Programme.source, func.count()).where(col(Programme.gone_since).is_(None))
                                 .group_by(col(Programme.source))).all())
        crawled = dict(s.exec(select(CrawlRun.source, func.max(CrawlRun.finished_at))
                              .where(CrawlRun.status == "ok").group_by(col(CrawlRun.source))).all())
    out = _gauge("foerdermatch_programmes_total", "Programmes in the catalogue (not gone).",
                 [((), sum(per_source.values()))])
    out += _gauge("foerdermatch_programmes", "Programmes in the catalogue per source.",
                  [((("source", k),), v) for k, v in sorted(per_source.items())])
    out += _gauge("foerdermatch_last_successful_crawl_timestamp_seconds",
                  "End of the last successful crawl per source (Unix time).",
                  [((("source", k),), _epoch(v)) for k, v in sorted(crawled.items()) if v is not None])
    return out + _outbox_lines(engine)


def _outbox_lines(engine: Engine) -> list[str]:
    try:
        from newsletter.models import OutboxMessage
    except ImportError:
        return []
    if not inspect(engine).has_table(str(OutboxMessage.__tablename__)):
        return []
    with Session(engine) as s:
        rows = dict(s.exec(select(OutboxMessage.status, func.count()).group_by(col(OutboxMessage.status))).all())
    return _gauge("foerdermatch_outbox_messages", "Newsletter outbox messages by status.",
                  [((("status", k),), v) for k, v in sorted(rows.items())])


def index_lines(runtime: Any) -> list[str]:
    stats = runtime.peek_index_stats()
    return (_gauge("foerdermatch_index_built", "1 when the search index is loaded.", [((), float(stats["built"]))])
            + _gauge("foerdermatch_index_passages", "Passages in the loaded search index.",
                     [((), stats.get("passages", 0))]))


def render(app: FastAPI) -> str:
    m: Metrics = app.state.metrics
    lines = m.request_lines() + m.requests.lines() + m.match.lines()
    lines += catalogue_lines(app.state.engine) + index_lines(app.state.runtime)
    return "\n".join(lines) + "\n"
