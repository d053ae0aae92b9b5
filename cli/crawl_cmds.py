"""`foerdermatch crawl`, `sources` and `worker`."""

from __future__ import annotations

import argparse
import asyncio

from cli.common import database, fail, print_json, settings


def add_parser(sub: argparse._SubParsersAction) -> None:
    c = sub.add_parser("crawl", help="fetch sources now and update the catalogue")
    c.add_argument("sources", nargs="*", help="source names (see config/sources.yaml)")
    c.add_argument("--all", action="store_true", help="every enabled source")
    c.add_argument(
        "--rewrite",
        action="append",
        default=[],
        metavar="LIVE=LOCAL",
        help="fetch LIVE-prefixed URLs from LOCAL instead (fixture sites); repeatable",
    )
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_crawl)
    h = sub.add_parser("sources", help="health of each source")
    h.add_argument("--json", action="store_true")
    h.set_defaults(func=cmd_sources)
    w = sub.add_parser("worker", help="run scheduled crawls (one leader among all workers)")
    w.add_argument("--heartbeat", type=float, default=15.0, help="seconds between leadership checks")
    w.set_defaults(func=cmd_worker)


def _configs():  # type: ignore[no-untyped-def]
    from crawlers.run import load_source_configs

    try:
        path = settings().sources_file
        return load_source_configs(path) if path else load_source_configs()
    except (OSError, ValueError, TypeError) as e:
        fail(f"The sources file is missing or invalid: {e}.")


def _rewrite(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        live, sep, local = pair.partition("=")
        if not sep or not live or not local:
            fail(f"--rewrite takes LIVE=LOCAL, got {pair!r}.")
        out[live] = local
    return out


def cmd_crawl(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from crawlers.run import crawl_source

    configs = _configs()
    names = [n for n, c in configs.items() if c.enabled] if args.all else args.sources
    if not names:
        fail("Name the sources to crawl, or use --all.")
    unknown = [n for n in names if n not in configs]
    if unknown:
        fail(f"Unknown source {unknown[0]!r}; known: {', '.join(configs)}.")
    engine, s = database(), settings()
    rewrite = _rewrite(args.rewrite) or s.crawl_rewrite
    summaries = []
    for name in tqdm(names, desc="crawling", unit="source", disable=args.json):
        summaries.append(asyncio.run(crawl_source(engine, s, configs[name], rewrite=rewrite or None)))
    if args.json:
        print_json([vars(x) for x in summaries])
    else:
        for x in summaries:
            c = x.counts
            print(
                f"{x.source:<18} {x.status:<7} new {c.get('new', 0)}, changed {c.get('changed', 0)}, "
                f"unchanged {c.get('unchanged', 0)}, gone {c.get('gone', 0)}; requests {c.get('requests', 0)}, "
                f"304s {c.get('not_modified', 0)}, {c.get('bytes', 0):,} bytes" + (f" - {x.reason}" if x.reason else "")
            )
    return 0 if all(x.status == "ok" for x in summaries) else 1


def cmd_sources(args: argparse.Namespace) -> int:
    from crawlers.health import source_health

    rows = source_health(database(), _configs(), stale_after_days=settings().stale_after_days)
    if args.json:
        print_json(rows)
        return 0
    for r in rows:
        state = "failing" if r["failing"] else "stale" if r["stale"] else "ok"
        print(
            f"{r['source']:<18} {state:<8} {r['programmes']:>4} programmes; last success {r['last_success'] or '-'}"
            + (f"; last failure: {r['last_failure_reason']}" if r["failing"] else "")
        )
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import logging

    from crawlers.worker import Worker
    from newsletter.jobs import register

    logging.getLogger().setLevel(logging.INFO)
    register()  # digests go out after each crawl round
    Worker(database(), settings(), _configs(), heartbeat_s=args.heartbeat).serve()
    return 0
