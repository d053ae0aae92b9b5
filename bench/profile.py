"""Where a match spends its time: py-spy samples warm matches against a catalogue the scale bench built.

`python -m bench.profile [SIZE] [--queries N]` (after `make bench` built var/bench/scale-SIZE) records the
matches with py-spy (raw collapsed stacks in var/bench/profile-SIZE.txt; open them in speedscope or a
flame-graph tool) and prints the functions of this project with the largest share of the samples,
inclusive ("in") and in the function itself ("self"). Query embedding shows up as torch frames below
matcher/embed.py.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import subprocess
import sys
import time
from pathlib import Path

from bench.common import REPO, WORK

OURS = ("matcher/", "catalog/", "config/", "bench/latency.py")


def _target(size: int, queries: int) -> None:
    """The profiled process: load the saved index and answer ``queries`` matches (warm-up excluded)."""
    from bench import common, latency
    from matcher.index import load_index

    folders = sorted((WORK / f"scale-{size}" / "index").glob("*/meta.json"))
    if not folders:
        raise SystemExit(f"no built index for {size} programmes; run `make bench` first")
    index = load_index(folders[-1].parent)
    embedder, profiles = common.load_model(), common.query_profiles()
    print("ready", flush=True)  # the parent attaches py-spy now: loading is not part of the profile
    sys.stdin.readline()
    latency.measure_queries(index, embedder, profiles, queries)


def _ours(frame: str) -> str | None:
    """'function (path/to/file.py:line)' -> 'path/to/file.py:function' for frames of this project."""
    name, _, where = frame.rpartition(" (")
    path = where.split(":")[0]
    for part in OURS:
        if part in path:
            return f"{path[path.index(part):]}:{name}"
    return None


def summarise(raw: Path, top: int = 15) -> list[str]:
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        frames = [f for f in (_ours(x) for x in stack.split(";")) if f]
        for f in set(frames):
            inclusive[f] += n
        if frames:
            own[frames[-1]] += n  # the deepest frame of ours: library calls below it count as its own
    rows = [f"{inclusive[f] / total:6.1%} in  {own[f] / total:6.1%} self  {f}" for f, _ in inclusive.most_common(top)]
    return [f"{total} samples", *rows]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.splitlines()[0])
    ap.add_argument("size", nargs="?", type=int, default=10_000)
    ap.add_argument("--queries", type=int, default=150)
    ap.add_argument("--target", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.target:
        _target(args.size, args.queries)
        return 0
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = WORK / f"profile-{args.size}.txt"
    target = subprocess.Popen([sys.executable, "-m", "bench.profile", str(args.size), "--queries", str(args.queries),
                               "--target"], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert target.stdin is not None and target.stdout is not None
    if target.stdout.readline().strip() != "ready":
        raise SystemExit(f"the profiled process ended early ({target.wait()})")
    spy = subprocess.Popen([py_spy, "record", "--format", "raw", "--rate", "200", "--output", str(out),
                            "--pid", str(target.pid)])
    time.sleep(1.0)  # py-spy attached
    target.stdin.write("go\n")
    target.stdin.close()
    target.wait()
    spy.wait()
    print("\n".join(summarise(out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
