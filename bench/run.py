"""`make bench` = `python -m bench.run [--quick] [--only SECTION ...]`.

Writes bench/results.json, prints the tables (Markdown) and draws bench/latency_memory.png. Sections:
quality (eval cases, modes vs word BM25), indexing (real model: full and 1 % incremental), crawl (fixture
sites), scale (1k/10k/100k programmes: index build, latency, serve start-up, memory, throughput on SQLite
and PostgreSQL). --quick leaves out 100k and shortens the load runs. Nothing here asserts a timing:
the figures are what this machine did, with its load average recorded beside them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import common, crawl, indexing, plot, quality, report, scale

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
BEFORE = HERE / "results_before.json"
PLOT = HERE / "latency_memory.png"
SECTIONS = ("quality", "indexing", "crawl", "scale")
FULL = {"sizes": [1_000, 10_000, 100_000], "queries": 150, "warmup_s": 5.0, "duration_s": 20.0}
QUICK = {"sizes": [1_000, 10_000], "queries": 60, "warmup_s": 3.0, "duration_s": 8.0}


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1k and 10k only, short load runs")
    ap.add_argument("--only", nargs="+", choices=SECTIONS, help="run these sections, keep the others' results")
    ap.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], help="e.g. 1000,10000")
    ap.add_argument("--no-postgres", action="store_true")
    ap.add_argument("--out", type=Path, default=RESULTS)
    return ap.parse_args(argv)


def machine() -> dict[str, Any]:
    import torch

    return {"when": dt.datetime.now().isoformat(timespec="seconds"), "cpus": os.cpu_count(),
            "cpu": platform.processor() or platform.machine(), "python": platform.python_version(),
            "numpy": np.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "load_average_start": common.load_average()}


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    plan: dict[str, Any] = dict(QUICK if args.quick else FULL)
    sizes: list[int] = args.sizes or plan["sizes"]
    sections = args.only or list(SECTIONS)
    results: dict[str, Any] = json.loads(args.out.read_text()) if args.only and args.out.exists() else {}
    common.WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    from catalog.snapshot import read_snapshot

    embedder = common.load_model()
    real = read_snapshot()
    real_vecs = common.real_vectors(embedder, real)
    profiles = common.query_profiles()
    results["machine"] = machine()
    results["plan"] = {"quick": args.quick, "sizes": sizes, **{k: v for k, v in plan.items() if k != "sizes"}}
    if "quality" in sections:
        results["quality"] = quality.run(real, real_vecs, embedder)
    if "indexing" in sections:
        results["indexing"] = indexing.run(real, real_vecs, embedder, common.WORK)
    if "crawl" in sections:
        results["crawl"] = crawl.run(common.WORK)
    if "scale" in sections:
        results["scale"] = scale.run(real, real_vecs, embedder, profiles, sizes, common.WORK, plan,
                                     with_postgres=not args.no_postgres)
    results["machine"]["load_average_end"] = common.load_average()
    results["machine"]["bench_seconds"] = round(time.perf_counter() - t0)
    args.out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")
    before = json.loads(BEFORE.read_text()).get("scale") if BEFORE.exists() else None
    print(report.render(results))
    if before and "scale" in results:
        print("### Before → after the scale fixes\n\n" + "\n".join(report.before_after(before, results["scale"])))
    if "scale" in results:
        plot.draw(results["scale"], before, PLOT)
    print(f"\nwrote {args.out.relative_to(Path.cwd()) if args.out.is_relative_to(Path.cwd()) else args.out}"
          f" and {PLOT.name} in {results['machine']['bench_seconds']} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
