"""Loading adviser-curated programmes from YAML: all entries valid, or none loaded.

Each file in config/programmes/ holds a YAML list of programmes in the form of
``catalog.schema.ProgrammeIn``. An invalid entry raises ``CatalogError`` naming file, entry and field.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import ValidationError

from catalog.schema import ProgrammeIn

CURATED_DIR = Path(__file__).resolve().parent.parent / "config" / "programmes"


class CatalogError(ValueError):
    """Bad catalogue input; the message is one sentence a person can act on."""


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(entry)"
    return f"field {field}: {first['msg']}"


def parse_entries(raw: object, *, origin: str) -> list[ProgrammeIn]:
    if not isinstance(raw, list):
        raise CatalogError(f"{origin}: expected a list of programmes at the top level.")
    programmes = []
    for i, entry in enumerate(raw, start=1):
        label = entry.get("id", f"#{i}") if isinstance(entry, dict) else f"#{i}"
        try:
            programmes.append(ProgrammeIn.model_validate(entry))
        except ValidationError as e:
            raise CatalogError(f"{origin}: entry {label} (#{i}) is invalid: {_describe(e)}.") from None
    return programmes


def load_file(path: Path) -> list[ProgrammeIn]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise CatalogError(
            f"{path.name}: not valid YAML ({e.__class__.__name__} {getattr(e, 'problem_mark', '')})."
        ) from None
    return parse_entries(raw or [], origin=path.name)


def load_dir(directory: Path = CURATED_DIR) -> list[ProgrammeIn]:
    """All curated programmes; raises on the first invalid entry or a duplicate id."""
    programmes: list[ProgrammeIn] = []
    seen: dict[str, str] = {}
    for path in sorted(directory.glob("*.yaml")):
        for p in load_file(path):
            if p.id in seen:
                raise CatalogError(f"{path.name}: entry {p.id} repeats an id already used in {seen[p.id]}.")
            seen[p.id] = path.name
            programmes.append(p)
    return programmes
