"""The bundled catalogue snapshot (catalog/data/programmes.json): write, read and load into a database."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError
from sqlmodel import Session

from catalog import store
from catalog.curated import CatalogError, parse_entries
from catalog.schema import ProgrammeIn

BUNDLED = Path(__file__).resolve().parent / "data" / "programmes.json"


def write_snapshot(programmes: list[ProgrammeIn], path: Path = BUNDLED) -> None:
    """Sorted by id, one programme per block, so a diff of the file reads like a change log."""
    rows = [p.model_dump(mode="json", exclude_defaults=True) for p in sorted(programmes, key=lambda p: p.id)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def read_snapshot(path: Path = BUNDLED) -> list[ProgrammeIn]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as e:
        raise CatalogError(f"{path}: cannot read the snapshot ({e}).") from None
    try:
        return parse_entries(raw, origin=path.name)
    except ValidationError as e:  # pragma: no cover - parse_entries converts these already
        raise CatalogError(str(e)) from None


def load_programmes(s: Session, programmes: list[ProgrammeIn]) -> dict[str, int]:
    """Upsert all programmes in the caller's transaction; returns counts by outcome."""
    counts = {"new": 0, "changed": 0, "unchanged": 0}
    for p in programmes:
        outcome, _ = store.upsert_programme(s, p)
        counts[outcome] += 1
    return counts
