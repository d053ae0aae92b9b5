"""Programme schema rules and the all-or-nothing curated loader."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from catalog.curated import CURATED_DIR, CatalogError, load_dir, load_file
from catalog.schema import Deadline
from catalog.snapshot import read_snapshot
from tests.factories import programme


def test_slug_and_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="slug"):
        programme(id="Not A Slug")
    with pytest.raises(ValidationError, match="extra"):
        programme(rules={"funding_rte": 0.9})


def test_rules_are_checked() -> None:
    with pytest.raises(ValidationError, match="grant_min_eur is larger"):
        programme(rules={"grant_min_eur": 5000, "grant_max_eur": 1000})
    with pytest.raises(ValidationError):
        programme(rules={"funding_rate": 90})
    with pytest.raises(ValidationError, match="ISO 3166"):
        programme(rules={"partner_rule": {"countries": ["France"]}})
    with pytest.raises(ValidationError, match="window needs"):
        Deadline(kind="window", date="2026-01-01")


def _write(tmp: Path, name: str, body: str) -> None:
    (tmp / name).write_text(body, encoding="utf-8")


ENTRY = """- id: {id}
  source: curated
  url: https://example.org/{id}
  title: Programm {id}
  funder: Testfonds
  level: land
  summary: Ein ausreichend langer Beschreibungstext für das Programm.
{extra}"""


def test_invalid_entry_names_file_entry_and_field(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", ENTRY.format(id="gut", extra=""))
    _write(tmp_path, "b.yaml", ENTRY.format(id="schlecht", extra="  rules: {funding_rate: 2}\n"))
    with pytest.raises(CatalogError) as err:
        load_dir(tmp_path)
    message = str(err.value)
    assert "b.yaml" in message and "schlecht" in message and "rules.funding_rate" in message


def test_duplicate_ids_and_broken_yaml_fail(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", ENTRY.format(id="zwei", extra=""))
    _write(tmp_path, "b.yaml", ENTRY.format(id="zwei", extra=""))
    with pytest.raises(CatalogError, match="repeats an id"):
        load_dir(tmp_path)
    _write(tmp_path, "c.yaml", "- id: [unclosed\n")
    with pytest.raises(CatalogError, match="c.yaml: not valid YAML"):
        load_file(tmp_path / "c.yaml")


def test_bundled_curated_files_load() -> None:
    programmes = load_dir(CURATED_DIR)
    assert programmes and all(p.url.startswith("http") and p.source_urls for p in programmes)


def test_bundled_snapshot_is_complete() -> None:
    programmes = read_snapshot()
    assert len(programmes) >= 70 and all(p.url.startswith("http") for p in programmes)
    # A source without a date keeps as_of empty rather than a guessed one; at least 70 are dated.
    assert sum(1 for p in programmes if p.as_of) >= 70
    assert {p.source for p in programmes} >= {"curated", "skew", "eu_portal", "foerderdatenbank", "laender"}
