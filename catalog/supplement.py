"""Curated supplements: an adviser's facts fill what a crawled source leaves unsaid, never overwrite it.

A crawled programme is the source of record. Where its source states nothing about a fact (``None``, an
empty list), the curated entry of the same id in config/supplements/ fills the gap, with the curated
evidence; the filled fields are listed in ``supplemented`` so the desk can show where a fact came from.
The curated summary and text travel along as the advisers' German description (``curated_description``):
searchable, and shown apart from the source's own text (which may be terse, or English).
Corrections (catalog/store.py) sit above both.
"""

from __future__ import annotations

from pathlib import Path

from catalog.curated import load_dir
from catalog.schema import ProgrammeIn, Rules

SUPPLEMENTS_DIR = Path(__file__).resolve().parent.parent / "config" / "supplements"
_TOP_LEVEL = ("short_name", "themes", "deadlines", "rhythm", "states", "as_of")


def _empty(value: object) -> bool:
    return value is None or value == [] or value == {}


def fill_gaps(crawled: ProgrammeIn, curated: ProgrammeIn | None) -> ProgrammeIn:
    if curated is None:
        return crawled
    filled: list[str] = []
    rules = crawled.rules.model_dump()
    for name in Rules.model_fields:
        mine, theirs = rules[name], getattr(curated.rules, name)
        if name == "own_funds":
            missing = {k: v for k, v in curated.rules.own_funds.items() if k not in mine}
            if missing:
                rules[name] = {**mine, **missing}
                filled.append("rules.own_funds")
        elif name == "no_grant":  # a bool has no "unknown": only an adviser's True is carried over
            if theirs and not mine:
                rules[name] = True
                filled.append("rules.no_grant")
        elif _empty(mine) and not _empty(theirs):
            rules[name] = getattr(curated.rules, name)
            filled.append(f"rules.{name}")
    top = {
        n: getattr(curated, n) for n in _TOP_LEVEL if _empty(getattr(crawled, n)) and not _empty(getattr(curated, n))
    }
    filled += list(top)
    evidence = {**{k: v for k, v in curated.evidence.items() if _filled(k, filled)}, **crawled.evidence}
    urls = list(dict.fromkeys([*crawled.source_urls, *curated.source_urls]))
    return crawled.model_copy(
        update={
            "rules": Rules.model_validate(rules),
            **top,
            "evidence": evidence,
            "source_urls": urls,
            "supplemented": filled,
            "curated_description": "\n\n".join(x for x in (curated.summary, curated.text) if x),
        }
    )


def _filled(evidence_key: str, filled: list[str]) -> bool:
    return evidence_key in filled or f"rules.{evidence_key}" in filled


def load_supplements(directory: Path = SUPPLEMENTS_DIR) -> dict[str, ProgrammeIn]:
    if not directory.is_dir():
        return {}
    return {p.id: p for p in load_dir(directory)}
