"""GET /metrics: valid Prometheus text; request, latency and match counters move; catalogue gauges are right."""

from __future__ import annotations

import datetime as dt
import re

from sqlmodel import Session

from catalog.models import CrawlRun
from newsletter.models import OutboxMessage, Subscription

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{({LABEL}(?:,{LABEL})*)?\}})? (\S+)$")
COMMENT = re.compile(rf"^# (?:HELP {NAME} .*|TYPE {NAME} (?:counter|gauge|histogram|summary|untyped))$")
PAIR = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\.)*)"')
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client) -> Samples:  # type: ignore[no-untyped-def]
    """Every line must be a comment or ``name{labels} value``; returns the samples."""
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for line in r.text.splitlines():
        if not line or COMMENT.match(line):
            continue
        m = SAMPLE.match(line)
        assert m, f"not Prometheus text: {line!r}"
        key = (m.group(1), frozenset(PAIR.findall(m.group(2) or "")))
        assert key not in out, f"duplicate sample {line!r}"
        out[key] = float(m.group(3))
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


REQUESTS = "foerdermatch_http_requests_total"
LATENCY = "foerdermatch_http_request_duration_seconds"


def test_catalogue_gauges(client) -> None:  # type: ignore[no-untyped-def]
    samples = scrape(client)
    assert value(samples, "foerdermatch_programmes_total") == 2
    assert value(samples, "foerdermatch_programmes", source="curated") == 2
    assert value(samples, "foerdermatch_index_built") == 0  # nothing matched yet: no index loaded


def test_request_counters_move_per_route_template(client) -> None:  # type: ignore[no-untyped-def]
    route = "/api/v1/programmes/{programme_id}"
    before = scrape(client)
    for pid in ("wasser-sued", "jugend-frankreich", "gibt-es-nicht"):
        client.get(f"/api/v1/programmes/{pid}")
    client.get("/nirgendwo")
    after = scrape(client)
    ok, missing = {"method": "GET", "route": route, "status": "200"}, {"method": "GET", "route": route, "status": "404"}
    assert value(after, REQUESTS, **ok) - value(before, REQUESTS, **ok) == 2
    assert value(after, REQUESTS, **missing) - value(before, REQUESTS, **missing) == 1
    assert value(after, REQUESTS, method="GET", route="unmatched", status="404") == 1
    assert not any("wasser-sued" in v for _, labels in after for _, v in labels)  # templates, never raw paths
    buckets = sorted((float(dict(labels)["le"]), n) for (name, labels), n in after.items()
                     if name == f"{LATENCY}_bucket" and dict(labels).items() >= ok.items())
    assert [n for _, n in buckets] == sorted(n for _, n in buckets)  # cumulative
    assert buckets[-1] == (float("inf"), value(after, f"{LATENCY}_count", **ok)) and buckets[-1][1] >= 2
    assert value(after, f"{LATENCY}_sum", **ok) > 0


def test_match_latency_and_index(client) -> None:  # type: ignore[no-untyped-def]
    profile = {"applicant": {"type": "kommune"}, "project": {"idea": "Wasser mit der Partnerstadt"}}
    assert client.post("/api/v1/match", json=profile).status_code == 200
    assert client.post("/match", data={"idea": "Jugendbegegnung", "applicant_type": "verein"}).status_code == 200
    samples = scrape(client)
    assert value(samples, "foerdermatch_match_duration_seconds_count") == 2
    assert value(samples, "foerdermatch_match_duration_seconds_bucket", le="+Inf") == 2
    assert value(samples, "foerdermatch_index_built") == 1 and value(samples, "foerdermatch_index_passages") >= 2
    assert value(samples, REQUESTS, method="POST", route="/api/v1/match", status="200") == 1


def test_last_successful_crawl_and_outbox(client, engine) -> None:  # type: ignore[no-untyped-def]
    ok_at = dt.datetime(2026, 11, 20, 3, 15, 42, tzinfo=dt.UTC)
    with Session(engine) as s, s.begin():
        s.add(CrawlRun(source="skew", status="ok", started_at=ok_at, finished_at=ok_at))
        s.add(CrawlRun(source="skew", status="failed", started_at=ok_at + dt.timedelta(days=1),
                       finished_at=ok_at + dt.timedelta(days=1)))
        s.add(CrawlRun(source="eu_portal", status="failed", finished_at=ok_at))
        sub = Subscription(channel="atom", token="t" * 32, profile={})
        s.add(sub)
        s.flush()
        for status in ("pending", "pending", "sent"):
            s.add(OutboxMessage(subscription_id=sub.id, kind="digest", channel="atom", payload={}, status=status))
    samples = scrape(client)
    stamp = "foerdermatch_last_successful_crawl_timestamp_seconds"
    assert value(samples, stamp, source="skew") == ok_at.timestamp()  # exact: no rounding of Unix times
    assert (stamp, frozenset({("source", "eu_portal")})) not in samples  # never succeeded
    assert value(samples, "foerdermatch_outbox_messages", status="pending") == 2
    assert value(samples, "foerdermatch_outbox_messages", status="sent") == 1
