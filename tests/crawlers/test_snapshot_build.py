"""The bundled snapshot is what a crawl of the fixture sites plus the curated entries gives today."""

import datetime as dt
import json
from pathlib import Path

from catalog import snapshot
from crawlers.snapshot_build import build_snapshot


def test_bundled_snapshot_is_up_to_date(tmp_path: Path) -> None:
    out = tmp_path / "programmes.json"
    meta = json.loads(snapshot.BUNDLED.with_name("snapshot-meta.json").read_text(encoding="utf-8"))
    n, summaries = build_snapshot(out, today=dt.date.fromisoformat(meta["built_for"]))
    assert all(s.status == "ok" for s in summaries)
    rebuilt = json.loads(out.read_text(encoding="utf-8"))
    bundled = json.loads(snapshot.BUNDLED.read_text(encoding="utf-8"))
    assert [p["id"] for p in rebuilt] == [p["id"] for p in bundled]
    changed = [a["id"] for a, b in zip(rebuilt, bundled, strict=True) if a != b]
    assert not changed, f"run `foerdermatch catalog build-snapshot`: {changed}"
