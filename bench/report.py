"""The benchmark results as Markdown tables (printed by `make bench`, pasted into the README) and target checks."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "p95_match_ms_10k": 50.0,
    "matches_per_s_2_workers_10k": 100.0,
    "serve_ready_s": 10.0,
    "rss_mb_100k": 2048.0,
}


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    cells = [[("–" if c is None else str(c)) for c in row] for row in rows]
    return ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|",
            *("| " + " | ".join(r) + " |" for r in cells)]


def _sizes(scale: dict[str, Any]) -> list[str]:
    return sorted((k for k in scale if k.isdigit()), key=int)


def quality(q: dict[str, Any]) -> list[str]:
    rows = []
    for mode, label in (("hybrid", "hybrid (service)"), ("dense", "dense only"), ("lexical", "lexical only"),
                        ("bm25", "word BM25 (keyword portal)")):
        r = q[mode]
        ratio = q["ratios_to_bm25"].get(mode, {}) if mode != "bm25" else {}
        rows.append([label, r["hit@5"], r["ndcg@5"], r["median_ms"], ratio.get("ndcg@5", "1.00"),
                     ratio.get("median_ms", "1.00")])
    return _table(["mode", "hit@5", "nDCG@5", "median ms/query", "nDCG@5 ÷ BM25", "time ÷ BM25"], rows)


def latency(scale: dict[str, Any]) -> list[str]:
    rows = []
    for size in _sizes(scale):
        for key, label in (("latency_ms", ""), ("latency_ms_2_threads", " (queries on 2 threads)")):
            lat = scale[size].get(key)
            if not lat:
                continue
            rows.append([f"{int(size):,}{label}", scale[size].get("passages"),
                         *(f"{lat[p]['p50']} / {lat[p]['p95']}" for p in ("embed", "retrieve", "eligibility",
                                                                          "serialise")),
                         f"{lat['total']['p50']} / {lat['total']['p95']} / {lat['total']['p99']}"])
    return _table(["programmes", "passages", "embed p50/p95", "retrieve p50/p95", "eligibility p50/p95",
                   "serialise p50/p95", "total p50/p95/p99"], rows)


def serving(scale: dict[str, Any]) -> list[str]:
    rows = []
    groups = [(size, scale[size]) for size in _sizes(scale)]
    if "serve" in scale.get("postgres", {}):
        groups.append((str(scale["postgres"]["programmes"]), scale["postgres"]))
    for size, data in groups:
        for label, run in data["serve"].items():
            def rate(kind: str, load: dict[str, Any] = run["load"]) -> str:
                return f"{load[kind]['matches_per_s']}" if kind in load else "–"

            errors = sum(sum(x["errors"].values()) for x in run["load"].values())
            requests = sum(x["requests"] for x in run["load"].values())
            p95 = run["load"].get("unique", {}).get("latency_ms", {}).get("p95")
            rows.append([f"{int(size):,}", label.split("_")[0], run["workers"], run["startup"]["health_s"],
                         run["startup"]["first_match_s"], run["peak_rss_mb"], rate("unique"), rate("repeat"),
                         f"{errors} of {requests}", p95])
    return _table(["programmes", "database", "workers", "/health s", "first match s", "peak RSS MB",
                   "matches/s unique queries", "matches/s repeated profiles", "errors", "p95 ms (unique)"], rows)


def index_builds(scale: dict[str, Any], indexing: dict[str, Any] | None) -> list[str]:
    rows = []
    for size in _sizes(scale):
        b = scale[size]["index_build"]
        rows.append([f"{int(size):,} (synthetic vectors stored)", "index build", b["seconds"], None, b["peak_rss_mb"]])
    for key, data in (indexing or {}).items():
        for phase in ("full", "incremental"):
            r = data[phase]
            what = f"{data['changed_programmes']} changed (1 %)" if phase == "incremental" else (
                "full, real e5" if r["embedded"] else "full, vectors stored")
            rows.append([f"{data['programmes']:,} ({key})", f"{what}: {r['embedded']} embedded, {r['reused']} reused",
                         r["seconds"], r["passages_per_s"], r["peak_rss_mb"]])
    return _table(["catalogue", "build", "seconds", "passages/s embedded", "peak RSS MB"], rows)


def crawl(c: dict[str, Any]) -> list[str]:
    rows = [[label, c[label]["requests"], ", ".join(f"{k}: {v}" for k, v in sorted(c[label]["by_status"].items())),
             round(c[label]["bytes"] / 2**20, 1), c[label]["seconds"], c[label]["at_configured_delays_min_s"]]
            for label in ("full", "recrawl")]
    return _table(["crawl", "requests", "answers", "MB", "seconds (delay 0)", "≥ s at configured delays"], rows)


def targets(scale: dict[str, Any]) -> list[str]:
    def get(path: list[str]) -> Any:
        node: Any = scale
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    checks = [
        ("p95 match ≤ 50 ms at 10k (in process, warm)", get(["10000", "latency_ms", "total", "p95"]),
         TARGETS["p95_match_ms_10k"], "le"),
        *((f"≥ 100 matches/s, 2 workers, 10k, {db}, {kind}",
           get([*where, "serve", f"{db}_w2", "load", kind, "matches_per_s"]), TARGETS["matches_per_s_2_workers_10k"],
           "ge") for db, where in (("sqlite", ["10000"]), ("postgres", ["postgres"]))
          for kind in ("unique", "repeat")),
        ("serve ready (first match) ≤ 10 s, 10k", get(["10000", "serve", "sqlite_w1", "startup", "first_match_s"]),
         TARGETS["serve_ready_s"], "le"),
        ("serve ready (first match) ≤ 10 s, 100k", get(["100000", "serve", "sqlite_w1", "startup", "first_match_s"]),
         TARGETS["serve_ready_s"], "le"),
        ("100k programmes within 2 GB RSS (serve)", get(["100000", "serve", "sqlite_w1", "peak_rss_mb"]),
         TARGETS["rss_mb_100k"], "le"),
    ]
    rows = []
    for label, value, limit, how in checks:
        met = None if value is None else (value <= limit if how == "le" else value >= limit)
        rows.append([label, value, {None: "not measured", True: "met", False: "missed"}[met]])
    return _table(["target", "measured", ""], rows)


def render(results: dict[str, Any]) -> str:
    out: list[str] = []
    scale = results.get("scale", {})
    sections = [
        ("Quality for the cost", "quality" in results, lambda: quality(results["quality"])),
        ("Match latency, ms (in process, warm, one client)", bool(scale), lambda: latency(scale)),
        ("serve: start-up, memory, throughput", bool(scale), lambda: serving(scale)),
        ("Index builds", bool(scale) or "indexing" in results, lambda: index_builds(scale, results.get("indexing"))),
        ("Crawling the fixture sites", "crawl" in results, lambda: crawl(results["crawl"])),
        ("Targets", bool(scale), lambda: targets(scale)),
    ]
    for title, present, fn in sections:
        if present:
            out += [f"### {title}", "", *fn(), ""]
    return "\n".join(out)


def before_after(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The same measurements on the matcher before the scale fixes (bench/results_before.json) and now."""
    def pick(scale: dict[str, Any], size: str, *path: str) -> Any:
        node: Any = scale.get(size, {})
        for key in path:
            node = node.get(key, {}) if isinstance(node, dict) else {}
        return node if node != {} else None

    rows = []
    for size in sorted(set(_sizes(before)) | set(_sizes(after)), key=int):
        row: list[Any] = [f"{int(size):,}"]
        for path in (("latency_ms", "retrieve", "p50"), ("latency_ms", "total", "p95"),
                     ("serve", "sqlite_w1", "startup", "first_match_s"), ("serve", "sqlite_w1", "peak_rss_mb"),
                     ("serve", "sqlite_w2", "load", "unique", "matches_per_s")):
            row.append(f"{pick(before, size, *path) or '–'} → {pick(after, size, *path) or '–'}")
        rows.append(row)
    return _table(["programmes", "retrieve p50 ms", "total p95 ms", "serve first match s", "serve peak RSS MB",
                   "matches/s, 2 workers, unique"], rows)
