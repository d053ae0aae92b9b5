"""Precision and recall per fact type of crawlers.extract on a labelled YAML set of real snippets.

Run: python -m crawlers.extract_eval tests/crawlers/extract_cases.yaml [--errors]
Each fact a case states or the extractor returns is an atom (a code, a country, a deadline, a value);
an atom both have is a true positive, a wrong value counts as one false positive and one false negative.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from crawlers import extract as ex

FACT_TYPES = (
    "applicant_types",
    "partner_rule",
    "min_partners",
    "min_countries",
    "grant_min",
    "grant_max",
    "funding_rate",
    "financing_type",
    "own_funds",
    "admin_flat_rate",
    "deadlines",
    "duration",
    "call_state",
    "rhythm",
)
SET_TYPES = ("applicant_types", "partner_rule", "own_funds", "deadlines")
Atom = Any


@dataclass
class Score:
    support: int = 0  # cases that state this fact type
    tp: int = 0
    fp: int = 0
    fn: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def _scalar(value: Any) -> set[Atom]:
    if value is None:
        return set()
    return (
        {round(float(value), 4)}
        if isinstance(value, int | float) and not isinstance(value, bool)
        else {value}
    )


def _rule_atoms(lists: Iterable[str], countries: Iterable[str], excluded: Iterable[str]) -> set[Atom]:
    return (
        {f"list:{x}" for x in lists}
        | {f"country:{x}" for x in countries}
        | {f"excluded:{x}" for x in excluded}
    )


def _value(fact: ex.Fact[Any] | None) -> Any:
    return None if fact is None else fact.value


def predicted_atoms(text: str, as_of: dt.date) -> dict[str, set[Atom]]:
    """What the extractors find in one text, as atoms per fact type."""
    grant_min, grant_max = ex.extract_grant_range(text)
    rule = _value(ex.extract_partner_rule(text))
    own = _value(ex.extract_own_funds(text)) or {}
    extractors: dict[str, Callable[[str], ex.Fact[Any] | None]] = {
        "min_partners": ex.extract_min_partners,
        "min_countries": ex.extract_min_countries,
        "funding_rate": ex.extract_funding_rate,
        "financing_type": ex.extract_financing_type,
        "admin_flat_rate": ex.extract_admin_flat_rate,
        "duration": ex.extract_duration,
        "call_state": ex.extract_call_state,
        "rhythm": ex.extract_rhythm,
    }
    atoms = {name: _scalar(_value(fn(text))) for name, fn in extractors.items()}
    atoms["applicant_types"] = set(_value(ex.extract_applicant_types(text)) or [])
    atoms["partner_rule"] = _rule_atoms(rule.lists, rule.countries, rule.excluded) if rule else set()
    atoms["grant_min"], atoms["grant_max"] = _scalar(_value(grant_min)), _scalar(_value(grant_max))
    atoms["own_funds"] = {f"{kind}={counts}" for kind, counts in own.items()}
    atoms["deadlines"] = {(d.kind, d.date, d.end) for d, _ in ex.extract_deadlines(text, as_of=as_of)}
    return atoms


def expected_atoms(expect: dict[str, Any]) -> dict[str, set[Atom]]:
    """The labels of one case, as atoms per fact type (a missing type means: nothing to find)."""
    atoms = {name: _scalar(expect.get(name)) for name in FACT_TYPES if name not in SET_TYPES}
    rule = expect.get("partner_rule") or {}
    atoms["applicant_types"] = set(expect.get("applicant_types") or [])
    atoms["partner_rule"] = _rule_atoms(
        rule.get("lists", []), rule.get("countries", []), rule.get("excluded", [])
    )
    atoms["own_funds"] = {f"{kind}={counts}" for kind, counts in (expect.get("own_funds") or {}).items()}
    atoms["deadlines"] = {(d["kind"], d.get("date"), d.get("end")) for d in expect.get("deadlines") or []}
    return atoms


def load_cases(path: Path) -> tuple[list[dict[str, Any]], dt.date]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data["cases"], data["default_as_of"]


def evaluate(cases: list[dict[str, Any]], default_as_of: dt.date) -> dict[str, Score]:
    scores = {name: Score() for name in FACT_TYPES}
    for case in cases:
        got = predicted_atoms(case["text"], case.get("as_of", default_as_of))
        want = expected_atoms(case.get("expect") or {})
        for name, score in scores.items():
            score.support += bool(want[name])
            score.tp += len(got[name] & want[name])
            score.fp += len(got[name] - want[name])
            score.fn += len(want[name] - got[name])
            if got[name] != want[name]:
                score.errors.append(
                    f"{case['id']}: expected {sorted(want[name], key=str)}, got {sorted(got[name], key=str)}"
                )
    return scores


def format_table(scores: dict[str, Score]) -> str:
    lines = [f"{'fact type':<16} {'labels':>6} {'tp':>4} {'fp':>4} {'fn':>4} {'precision':>9} {'recall':>7}"]
    for name, s in scores.items():
        lines.append(
            f"{name:<16} {s.support:>6} {s.tp:>4} {s.fp:>4} {s.fn:>4} {s.precision:>9.2f} {s.recall:>7.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("cases", type=Path)
    parser.add_argument("--errors", action="store_true", help="list every case a fact type got wrong")
    args = parser.parse_args(argv)
    cases, as_of = load_cases(args.cases)
    scores = evaluate(cases, as_of)
    print(f"{len(cases)} cases from {args.cases}\n" + format_table(scores))
    if args.errors:
        for name, score in scores.items():
            for error in score.errors:
                print(f"[{name}] {error}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
