"""Förderdatenbank des Bundes: programmes for towns and associations from its XML export (a zip)."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from lxml import etree

from catalog.schema import Bundesland, Evidence, Level, ProgrammeIn, Rules
from crawlers.base import CrawlResult, Fetch, Source, SourceConfig, SourceError
from crawlers.extract import Extraction, extract_rules
from crawlers.fdb_export import LABELS, STATES, Document, Export, parse_document, read_export

SITE = "https://www.foerderdatenbank.de"
_PROGRAMME_PREFIX = "/BMWI/FDB/Content/DE/Foerderprogramm/"

# Förderberechtigte (export code) -> applicant codes of catalog.schema. None: the category spans kinds the
# schema tells apart (a Bildungseinrichtung may be a school or a Verein), so the text has to say who applies.
APPLICANTS: dict[str, tuple[str, ...] | None] = {
    "kommune": ("kommune", "landkreis"),  # Gemeinden, Städte and Landkreise are all Kommunen
    "verband_vereinigung": ("verein", "ngo", "kommunaler_spitzenverband"),  # associations of any kind
    "unternehmen": ("unternehmen",),
    "existenzgruenderin": ("privatperson", "unternehmen"),  # a person founding a business
    "privatperson": ("privatperson",),
    "hochschule": ("hochschule",),
    "forschungseinrichtung": (),  # no applicant code of its own
    "bildungseinrichtung": None,
    "oeffentliche_einrichtung": None,  # public bodies, sometimes including Kommunen
}
# Fördergeber -> level; with several, the one applicants deal with (an EU fund run by a Land is a Land programme).
LEVELS: tuple[tuple[str, Level, str], ...] = (
    ("land", "land", "Land"),
    ("bund", "bund", "Bund"),
    ("eu", "eu", "Europäische Union"),
)
# Rich-text fields in reading order; comment (ticket numbers) and header are editorial, not content.
TEXT_FIELDS = (
    "teaserText",
    "summary",
    "serviceDescription",
    "requirements",
    "regulatoryFWork",
    "termsOfPayment",
    "procDescription",
    "bodyText",
    "remark",
)


@dataclass(frozen=True)
class KeepRule:
    """Which programmes are relevant (config ``foerderdatenbank.options.keep``).

    Kept: no Förderberechtigte code outside ``applicants`` decides against it (at least one listed, or
    none given), no Förderart outside ``kinds`` (likewise), and the topic fits: a category code listed under
    its classifier in ``categories`` (e.g. UFAussenwirtschaft: [entwicklungszusammenarbeit]) or one of
    ``words`` in title, keywords or text (at a word start, any case).
    """

    applicants: frozenset[str]
    kinds: frozenset[str]
    categories: dict[str, frozenset[str]]
    words: re.Pattern[str] | None

    @classmethod
    def from_options(cls, keep: dict[str, Any]) -> KeepRule:
        words = keep.get("words") or []
        return cls(
            applicants=frozenset(keep.get("applicants", [])),
            kinds=frozenset(keep.get("kinds", [])),
            categories={name: frozenset(codes) for name, codes in (keep.get("categories") or {}).items()},
            words=re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + ")", re.I) if words else None,
        )


def keep(doc: Document, rule: KeepRule) -> bool:
    """The keep rule as a pure predicate over one parsed document."""
    who, kinds = set(doc.codes("Foerderberechtigte")), set(doc.codes("Foerderart"))
    if (who and not who & rule.applicants) or (kinds and rule.kinds and not kinds & rule.kinds):
        return False
    if any(set(doc.codes(name)) & codes for name, codes in rule.categories.items()):
        return True
    haystack = " ".join([doc.texts.get("title", ""), doc.values.get("keywords", ""), _text(doc)])
    return bool(rule.words and rule.words.search(haystack))


def web_url(doc: Document, site: str = SITE) -> str:
    """The public page: the document path below /BMWI with .html."""
    return f"{site}{doc.path.removeprefix('/BMWI')}.html"


def _text(doc: Document) -> str:
    parts = [doc.texts.get(name, "") for name in TEXT_FIELDS]
    return "\n\n".join(dict.fromkeys(p for p in parts if p))


def _summary(doc: Document) -> str:
    """The database's short text, else the first paragraph of real prose (not a heading), at most 400 chars."""
    for candidate in (doc.texts.get("teaserText", ""), doc.texts.get("summary", "")):
        if len(candidate) >= 20:
            return _trim(" ".join(candidate.split()))
    prose = [line for line in _text(doc).split("\n") if len(line) >= 40]
    return _trim(prose[0]) if prose else ""


def _trim(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[: text.rfind(" ", 0, limit)] + " …"


def _applicants(doc: Document, found: Extraction, url: str) -> tuple[list[str] | None, Evidence | None]:
    """Applicant codes from Förderberechtigte. A category that spans several codes (``None`` in APPLICANTS)
    needs the text: the union with whom the text names, or unknown when the text names nobody."""
    codes = doc.codes("Foerderberechtigte")
    if not codes:
        return None, None  # the text's own finding stays
    exact = [t for c in codes for t in APPLICANTS.get(c) or ()]
    quote = "Förderberechtigte: " + ", ".join(LABELS.get(c, c) for c in codes)
    if all(APPLICANTS.get(c) is not None for c in codes):
        return list(dict.fromkeys(exact)) or None, Evidence(quote=quote, url=url)
    named, said = found.rules.applicant_types, found.evidence.get("applicant_types")
    if not named or said is None:
        return [], None  # unknown: the categories do not say, the text does not either
    return list(dict.fromkeys([*exact, *named])), Evidence(quote=f"{quote} | {said.quote}", url=url)


def _states(doc: Document) -> list[Bundesland]:
    return [cast(Bundesland, STATES[code][0]) for code in doc.codes("Foerdergebiet") if code in STATES]


def _level(doc: Document) -> tuple[Level, str]:
    """(level, label) from Fördergeber, else from the tree the document sits in (Bund/, Land/, EU/)."""
    givers = set(doc.codes("Foerdergeber"))
    tree = doc.path.removeprefix(_PROGRAMME_PREFIX).split("/", 1)[0].lower()
    for code, level, label in LEVELS:
        if code in givers or (not givers and code == tree):
            return level, label
    raise ValueError(f"no Fördergeber and no level in the path {doc.path}")


def _funder(doc: Document, funders: dict[str, str]) -> str:
    """Linked Fördergeber documents by name; without them the level, and for a Land its name."""
    names = [funders[t] for t in doc.targets("Foerderorganisation") if t in funders]
    if names:
        return "; ".join(dict.fromkeys(names))
    level, label = _level(doc)
    lands = [STATES[c][1] for c in doc.codes("Foerdergebiet") if c in STATES]
    return f"Land {lands[0]}" if level == "land" and len(lands) == 1 else label


def _as_of(doc: Document) -> dt.date | None:
    raw = doc.values.get("dateOfIssue", "")
    return dt.date.fromisoformat(raw[:10]) if re.match(r"\d{4}-\d\d-\d\d", raw) else None


def programme_id(doc: Document, qualified: bool = False) -> str:
    """``fdb-<file name>``; ``qualified`` adds the tree (``land-bayern``) for names used more than once."""
    name = doc.name if not qualified else f"{doc.name}-{doc.path.removeprefix(_PROGRAMME_PREFIX).rsplit('/', 1)[0]}"
    return "fdb-" + re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:110]


def _facts(doc: Document, url: str, today: dt.date) -> tuple[Extraction, Rules, dict[str, Evidence]]:
    """What the text says, with who may apply and where taken from the categories where they are exact."""
    found = extract_rules(_text(doc), url, as_of=today)
    rules, evidence = found.rules, dict(found.evidence)
    applicants, said = _applicants(doc, found, url)
    if applicants is not None:
        rules = rules.model_copy(update={"applicant_types": applicants or None})
        evidence.pop("applicant_types", None)
        if said is not None:
            evidence["applicant_types"] = said
    names = [STATES[c][1] for c in doc.codes("Foerdergebiet") if c in STATES]
    if names:
        evidence["states"] = Evidence(quote=f"Fördergebiet: {', '.join(names)}", url=url)
    return found, rules, evidence


def to_programme(
    doc: Document,
    *,
    funders: dict[str, str],
    external: dict[str, str],
    today: dt.date,
    site: str = SITE,
    qualified: bool = False,
) -> ProgrammeIn:
    """One programme document as catalogue content; rules, deadlines and evidence extracted from the text."""
    url, keywords = web_url(doc, site), doc.values.get("keywords", "")
    found, rules, evidence = _facts(doc, url, today)
    return ProgrammeIn(
        id=programme_id(doc, qualified),
        source="foerderdatenbank",
        source_key=doc.path,
        url=url,
        title=" ".join(doc.texts.get("title", "").split()),
        funder=_funder(doc, funders),
        level=_level(doc)[0],
        states=_states(doc),
        summary=_summary(doc),
        text=_text(doc) + (f"\n\nSchlagworte: {keywords}" if keywords else ""),
        themes=[LABELS.get(c, c) for c in doc.codes("Foerderbereich")],
        rules=rules,
        deadlines=found.deadlines,
        rhythm=found.rhythm,
        paused=found.paused,
        evidence=evidence,
        as_of=_as_of(doc),
        source_urls=[url, *(external[t] for t in doc.targets("ExternerLink") if t in external)],
    )


def _kept(export: Export, rule: KeepRule, warnings: list[str]) -> list[tuple[str, Document]]:
    kept = []
    for member, xml in export.programmes.items():
        try:
            doc = parse_document(xml)
        except etree.XMLSyntaxError as exc:
            warnings.append(f"{member}: not parseable ({exc})")
            continue
        if doc.type == "gsb:ServiceOffer" and keep(doc, rule):
            kept.append((member, doc))
    return kept


def parse_export(data: bytes, rule: KeepRule, *, today: dt.date, site: str = SITE) -> CrawlResult:
    """Every kept programme of an export zip; a document that does not parse is a warning, not a failure."""
    try:
        export = read_export(data)
    except zipfile.BadZipFile as exc:
        raise SourceError(f"the export is not a zip: {exc}") from exc
    if not export.programmes:
        raise SourceError("the export holds no programme documents")
    warnings = list(export.warnings)
    kept = _kept(export, rule, warnings)
    taken = Counter(programme_id(doc) for _, doc in kept)
    programmes = []
    for member, doc in kept:
        qualified = taken[programme_id(doc)] > 1
        try:
            p = to_programme(
                doc, funders=export.funders, external=export.external, today=today, site=site, qualified=qualified
            )
        except ValueError as exc:  # pydantic's ValidationError included
            warnings.append(f"{member}: skipped ({exc})".splitlines()[0])
            continue
        programmes.append(p)
    return CrawlResult(programmes=programmes, pages=1, warnings=warnings)


class FoerderdatenbankSource(Source):
    name = "foerderdatenbank"

    async def crawl(self, fetch: Fetch, config: SourceConfig, *, today: dt.date) -> CrawlResult:
        page = await fetch(
            config.base_url + config.options["export_path"], accept=("application/zip", "application/octet-stream")
        )
        if not page.body.startswith(b"PK"):
            raise SourceError(f"{page.url}: not a zip archive")
        return parse_export(page.body, KeepRule.from_options(config.options.get("keep") or {}), today=today)
