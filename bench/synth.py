"""A synthetic catalogue of any size, made by perturbing the 92 real programmes (seeded, reproducible).

Programme j is a copy of real programme ``j mod 92`` with
- a new id (``<id>-s<j>``) and a region and lot number appended to the title;
- the sentences of every paragraph of ``text`` and ``curated_description`` shuffled;
- one or two themes swapped for themes of other programmes;
- grant amounts and lump sums scaled by a factor 0.5-2, the funding rate by 0.8-1.2 (kept in (0, 1]);
- named partner countries replaced by a random draw of as many countries;
- all deadlines shifted by the same -120..+240 days; Land programmes moved to a random Land.

Passage vectors: embedding ~400,000 passages with e5 would take hours on two cores, so the copies get
vectors derived from the real e5 vectors of their source: passage k of a copy takes the vector of passage
min(k, n-1) of its source programme, plus Gaussian noise (sigma 0.017 per dimension, i.e. a cosine of
about 0.95 to the original), re-normalised. Queries are always embedded for real.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from collections.abc import Iterator

import numpy as np

from catalog.passages import programme_passages
from catalog.schema import Deadline, ProgrammeIn
from catalog.vectors import text_hash

NOISE_SIGMA = 0.017
REGIONS = ["Nord", "Süd", "Ost", "West", "Rhein-Main", "Ostsee", "Lausitz", "Eifel", "Harz", "Allgäu",
           "Emsland", "Uckermark", "Vogtland", "Saar-Mosel", "Oberrhein", "Weserbergland", "Altmark", "Spreewald"]
STATES = ["BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV", "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH"]
COUNTRIES = ["FR", "PL", "CZ", "UA", "GH", "TZ", "NA", "RW", "BF", "IN", "TR", "IT", "ES", "NL", "BE", "AT",
             "DK", "LT", "LV", "EE", "RO", "BG", "GR", "PT", "SE", "FI", "GB", "IL", "PS", "TN", "MA", "NI", "BO"]
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+(?=[A-ZÄÖÜ0-9„\"(])")


def shuffle_sentences(text: str, rng: random.Random) -> str:
    paragraphs = []
    for para in re.split(r"\n\s*\n", text):
        sentences = _SENTENCE_END.split(" ".join(para.split()))
        rng.shuffle(sentences)
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(p for p in paragraphs if p)


def _shift(d: Deadline, days: int) -> Deadline:
    delta = dt.timedelta(days=days)
    return d.model_copy(update={"date": d.date + delta if d.date else None, "end": d.end + delta if d.end else None})


def _rules(p: ProgrammeIn, rng: random.Random):  # type: ignore[no-untyped-def]
    r = p.rules
    factor = rng.uniform(0.5, 2.0)
    scale = {k: round(getattr(r, k) * factor, -2) for k in ("grant_min_eur", "grant_max_eur",
                                                            "lump_sum_per_participant_eur") if getattr(r, k)}
    if r.funding_rate:
        scale["funding_rate"] = round(min(1.0, max(0.05, r.funding_rate * rng.uniform(0.8, 1.2))), 2)
    rule = r.partner_rule
    if rule is not None and rule.countries:
        pool = [c for c in COUNTRIES if c not in rule.excluded]
        rule = rule.model_copy(update={"countries": rng.sample(pool, min(len(rule.countries), len(pool)))})
    return r.model_copy(update={**scale, "partner_rule": rule})


def perturb(p: ProgrammeIn, j: int, themes: list[str], rng: random.Random) -> ProgrammeIn:
    kept = [t for t in p.themes if rng.random() > 0.4]
    new_themes = kept + rng.sample(themes, rng.randint(1, 2))
    days = rng.randint(-120, 240)
    update = {
        "id": f"{p.id}-s{j}",
        "source_key": f"{p.source_key}-s{j}" if p.source_key else None,
        "title": f"{p.title} ({rng.choice(REGIONS)} {j})",
        "text": shuffle_sentences(p.text, rng) if p.text else "",
        "curated_description": shuffle_sentences(p.curated_description, rng) if p.curated_description else "",
        "themes": list(dict.fromkeys(new_themes)),
        "rules": _rules(p, rng),
        "deadlines": [_shift(d, days) for d in p.deadlines],
        "states": [rng.choice(STATES)] if p.level == "land" and p.states else p.states,
    }
    return p.model_copy(update=update)


def catalogue(real: list[ProgrammeIn], size: int, seed: int = 7) -> Iterator[ProgrammeIn]:
    """The real programmes first (as they are), then perturbed copies up to ``size``."""
    rng = random.Random(seed)
    themes = sorted({t for p in real for t in p.themes})
    for j in range(size):
        base = real[j % len(real)]
        yield base if j < len(real) else perturb(base, j, themes, rng)


class SyntheticVectors:
    """A VectorCache (get_many/put_many) that answers real vectors for real passages and derived
    vectors for the copies' passages; fill it with ``add`` while generating the catalogue."""

    def __init__(self, real_vectors: dict[str, np.ndarray], model_id: str, seed: int = 11) -> None:
        self.real, self.model_id = real_vectors, model_id
        self.vectors: dict[str, np.ndarray] = {}
        self.rng = np.random.default_rng(seed)
        self._source: dict[str, list[np.ndarray]] = {}

    def source_vectors(self, p: ProgrammeIn) -> list[np.ndarray]:
        if p.id not in self._source:
            self._source[p.id] = [self.real[text_hash(t)] for t in programme_passages(p)]
        return self._source[p.id]

    def add(self, copy: ProgrammeIn, source: ProgrammeIn) -> None:
        base = self.source_vectors(source)
        for k, text in enumerate(programme_passages(copy)):
            h = text_hash(text)
            if h in self.real or h in self.vectors:
                continue
            v = base[min(k, len(base) - 1)] + self.rng.normal(0.0, NOISE_SIGMA, base[0].shape).astype(np.float32)
            self.vectors[h] = (v / np.linalg.norm(v)).astype(np.float32)

    def get_many(self, model_id: str, hashes: list[str]) -> dict[str, np.ndarray]:
        found = {h: self.real[h] for h in hashes if h in self.real}
        found.update({h: self.vectors[h] for h in hashes if h in self.vectors})
        return found

    def put_many(self, model_id: str, vectors: dict[str, np.ndarray]) -> None:
        self.vectors.update(vectors)


def build(real: list[ProgrammeIn], real_vectors: dict[str, np.ndarray], model_id: str,
          size: int) -> tuple[list[ProgrammeIn], SyntheticVectors]:
    """``size`` programmes and a vector cache that knows every passage of them."""
    vectors = SyntheticVectors(real_vectors, model_id)
    programmes = []
    for j, p in enumerate(catalogue(real, size)):
        programmes.append(p)
        if j >= len(real):
            vectors.add(p, real[j % len(real)])
    return programmes, vectors
