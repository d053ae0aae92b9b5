"""The `foerdermatch` command: one entry point for the catalogue, matching, serving and jobs."""

from __future__ import annotations

import argparse
import logging
import sys
from importlib.metadata import version

from sqlmodel import Session

from catalog import snapshot, store
from cli import catalog_cmds, crawl_cmds, match_cmds, newsletter_cmds, users_cmds
from cli.common import UsageError, database, fail, settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="foerdermatch", description="Funding programmes for municipal partnerships")
    parser.add_argument("--version", action="version", version=f"foerdermatch {version('foerdermatch')}")
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("demo", "load the bundled catalogue into an empty database and serve"),
                           ("serve", "serve API and desk")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8000)
        p.add_argument("--workers", type=int, default=1)
        p.set_defaults(func=cmd_demo if name == "demo" else cmd_serve)
    catalog_cmds.add_parser(sub)
    match_cmds.add_parser(sub)
    crawl_cmds.add_parser(sub)
    newsletter_cmds.add_parser(sub)
    users_cmds.add_parser(sub)
    return parser


def cmd_demo(args: argparse.Namespace) -> int:
    engine = database()
    with Session(engine) as s, s.begin():
        if store.count_programmes(s) == 0:
            counts = snapshot.load_programmes(s, snapshot.read_snapshot())
            print(f"loaded the bundled catalogue: {counts['new']} programmes")
    return cmd_serve(args)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    if not 1 <= args.port <= 65535:
        fail("--port must be between 1 and 65535.")
    settings().check_production()
    database()  # migrate once before workers start
    print(f"foerdermatch: http://{args.host}:{args.port}/ (API docs at /docs)", flush=True)
    uvicorn.run("api.main:create_app", factory=True, host=args.host, port=args.port,
                workers=args.workers, log_level="info")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except UsageError as e:
        print(f"foerdermatch: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"foerdermatch: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
