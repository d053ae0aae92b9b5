"""`foerdermatch catalog ...`: load, export, list, show and rebuild the bundled snapshot."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from sqlmodel import Session

from catalog import snapshot, store
from catalog.curated import CatalogError, load_dir
from catalog.status import next_deadline, status
from cli.common import database, fail, print_json


def add_parser(sub: argparse._SubParsersAction) -> None:
    cat = sub.add_parser("catalog", help="the programme catalogue").add_subparsers(dest="catalog_cmd", required=True)
    load = cat.add_parser("load", help="load a snapshot (default: the bundled one) or the curated YAML")
    load.add_argument("file", nargs="?", help="snapshot JSON; default: catalog/data/programmes.json")
    load.add_argument("--curated", action="store_true", help="load config/programmes/*.yaml instead")
    load.set_defaults(func=cmd_load)
    export = cat.add_parser("export", help="write the catalogue as snapshot JSON")
    export.add_argument("--out", default="-", help="file (default: stdout)")
    export.set_defaults(func=cmd_export)
    lst = cat.add_parser("list", help="list programmes")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_list)
    show = cat.add_parser("show", help="show one programme")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)
    build = cat.add_parser(
        "build-snapshot", help="regenerate catalog/data/programmes.json: crawl the fixture sites, add curated entries"
    )
    build.set_defaults(func=cmd_build_snapshot)


def cmd_load(args: argparse.Namespace) -> int:
    try:
        programmes = load_dir() if args.curated else snapshot.read_snapshot(Path(args.file or snapshot.BUNDLED))
    except CatalogError as e:
        fail(str(e))
    engine = database()
    with Session(engine) as s, s.begin():
        counts = snapshot.load_programmes(s, programmes)
    print(
        f"{len(programmes)} programmes: {counts['new']} new, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged"
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    with Session(database()) as s:
        programmes = [p for _, p in store.all_programmes(s, include_gone=True)]
    if args.out == "-":
        print_json([p.model_dump(mode="json", exclude_defaults=True) for p in programmes])
    else:
        snapshot.write_snapshot(programmes, Path(args.out))
        print(f"wrote {len(programmes)} programmes to {args.out}")
    return 0


def _summary(row, p, today: dt.date) -> dict:  # type: ignore[no-untyped-def]
    nd = next_deadline(p, today)
    return {
        "id": p.id,
        "title": p.title,
        "short_name": p.short_name,
        "funder": p.funder,
        "level": p.level,
        "source": p.source,
        "url": p.url,
        "status": status(p, today),
        "next_deadline": nd.model_dump(mode="json", exclude_none=True) if nd else None,
        "as_of": p.as_of.isoformat() if p.as_of else None,
        "gone_since": row.gone_since,
    }


def cmd_list(args: argparse.Namespace) -> int:
    today = dt.date.today()
    with Session(database()) as s:
        rows = store.all_programmes(s)
    items = [_summary(r, p, today) for r, p in rows]
    if args.json:
        print_json(items)
    else:
        for it in items:
            print(f"{it['id']:<48} {it['level']:<10} {it['status']:<11} {it['title'][:70]}")
        print(f"{len(items)} programmes")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    with Session(database()) as s:
        found = store.get_programme(s, args.id)
        if found is None:
            fail(f"There is no programme with the id {args.id!r}.")
        row, p = found
        history = [
            {"version": v.version, "at": v.created_at, "changed": v.changed_fields} for v in store.versions(s, p.id)
        ]
    if args.json:
        print_json({**p.model_dump(mode="json"), "status": status(p, dt.date.today()), "versions": history})
    else:
        print(f"{p.title} ({p.id})\n{p.funder} · {p.level} · {status(p, dt.date.today())}\n{p.url}\n\n{p.summary}")
    return 0


def cmd_build_snapshot(args: argparse.Namespace) -> int:
    from crawlers.snapshot_build import build_snapshot

    try:
        n, summaries = build_snapshot()
    except CatalogError as e:
        fail(str(e))
    for x in summaries:
        print(f"{x.source:<18} {x.status} {x.counts}")
    print(f"wrote {n} programmes to {snapshot.BUNDLED}")
    return 0
