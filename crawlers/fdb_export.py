"""Reading the Förderdatenbank XML export: the zip's trees and one gsb document as plain data."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field

from lxml import etree

from crawlers.html_text import html_to_text

# XML 1.0 forbids these; at least one real document carries a stray \x02 mid-word ("Bei\x02hilfen").
_CONTROL_RE = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_HREF = "{http://www.w3.org/1999/xlink}href"
_CDATA_RE = re.compile(r"^\s*<!\[CDATA\[(.*)\]\]>\s*$", re.S)
_CATEGORY = "/BMWI/SiteGlobals/Categories/"
# Member names inside the zip; the tree may sit below a top folder.
TREE_RE = re.compile(r"(?:^|/)(BMWI/FDB/Content/DE/(Foerderprogramm|Foerdergeber|ExternerLink)/.+)\.xml$")

# Category labels as the web site shows them (quoted as evidence, shown as themes); the export's own label
# bundle, as listed by CorrelAid/fdb-scraper (src/fdb_scraper/generated/vocab.py).
LABELS = {
    "kommune": "Kommune",
    "verband_vereinigung": "Verband/Vereinigung",
    "unternehmen": "Unternehmen",
    "existenzgruenderin": "Existenzgründer/in",
    "privatperson": "Privatperson",
    "hochschule": "Hochschule",
    "forschungseinrichtung": "Forschungseinrichtung",
    "bildungseinrichtung": "Bildungseinrichtung",
    "oeffentliche_einrichtung": "Öffentliche Einrichtung",
    "arbeit": "Arbeit",
    "aus_weiterbildung": "Aus- & Weiterbildung",
    "aussenwirtschaft": "Außenwirtschaft",
    "beratung": "Beratung",
    "digitalisierung": "Digitalisierung",
    "frauenfoerderung": "Frauenförderung",
    "energieeffizienz_erneuerbare_energien": "Energieeffizienz & Erneuerbare Energien",
    "existenzgruendung_festigung": "Existenzgründung & -festigung",
    "gesundheit_soziales": "Gesundheit & Soziales",
    "infrastruktur": "Infrastruktur",
    "kultur_medien_sport": "Kultur, Medien & Sport",
    "landwirtschaft_laendliche_entwicklung": "Landwirtschaft & Ländliche Entwicklung",
    "mobilitaet": "Mobilität",
    "messen_ausstellungen": "Messen & Ausstellungen",
    "regionalfoerderung": "Regionalförderung",
    "smart_cities_regionen": "Smart Cities & Regionen",
    "staedtebau_stadterneuerung": "Städtebau & Stadterneuerung",
    "umwelt_naturschutz": "Umwelt- & Naturschutz",
    "unternehmensfinanzierung": "Unternehmensfinanzierung",
    "wohnungsbau_modernisierung": "Wohnungsbau & -modernisierung",
    "corona": "Corona-Hilfe",
    "forschung_innovation_themenoffen": "Forschung & Innovation (themenoffen)",
    "forschung_innovation_themenspezifisch": "Forschung & Innovation (themenspezifisch)",
}
# Fördergebiet -> Bundesland, with the export's own spellings (de_ni, de_st, the schlesig_holstein typo).
STATES = {
    "baden_wuerttemberg": ("BW", "Baden-Württemberg"),
    "bayern": ("BY", "Bayern"),
    "berlin": ("BE", "Berlin"),
    "brandenburg": ("BB", "Brandenburg"),
    "bremen": ("HB", "Bremen"),
    "hamburg": ("HH", "Hamburg"),
    "hessen": ("HE", "Hessen"),
    "mecklenburg_vorpommern": ("MV", "Mecklenburg-Vorpommern"),
    "de_ni": ("NI", "Niedersachsen"),
    "nordrhein_westfalen": ("NW", "Nordrhein-Westfalen"),
    "rheinland_pfalz": ("RP", "Rheinland-Pfalz"),
    "saarland": ("SL", "Saarland"),
    "sachsen": ("SN", "Sachsen"),
    "de_st": ("ST", "Sachsen-Anhalt"),
    "schlesig_holstein": ("SH", "Schleswig-Holstein"),
    "schleswig_holstein": ("SH", "Schleswig-Holstein"),
    "thueringen": ("TH", "Thüringen"),
}


@dataclass(frozen=True)
class Document:
    """One export document: rich texts as plain text, plain values, and links grouped by classifier."""

    path: str  # "/BMWI/FDB/Content/DE/Foerderprogramm/Bund/BMAS/einstiegsgeld", what links point to
    type: str
    texts: dict[str, str] = field(default_factory=dict)  # property name without "gsb:" -> text
    values: dict[str, str] = field(default_factory=dict)
    links: dict[str, list[str]] = field(default_factory=dict)  # classifier name -> link targets

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    def codes(self, classifier: str) -> list[str]:
        """Category codes under a classifier: ``.../Categories/FDB/Foerdergebiet/de_st`` gives ``de_st``."""
        return [t.rsplit("/", 1)[-1] for t in self.links.get(classifier, []) if t.startswith(_CATEGORY)]

    def targets(self, classifier: str) -> list[str]:
        """Linked documents under a classifier (e.g. Foerderorganisation -> Foerdergeber documents)."""
        return [t for t in self.links.get(classifier, []) if not t.startswith(_CATEGORY)]


def _target(link: etree._Element) -> str:
    return (link.get(_HREF) or "").removeprefix("target:")


def _rich_text(prop: etree._Element) -> str:
    raw = prop.findtext("text") or ""
    match = _CDATA_RE.match(raw)  # the CDATA markers arrive escaped, i.e. as text
    return html_to_text(match.group(1) if match else raw)


def _classified(prop: etree._Element) -> Iterator[tuple[str, list[str]]]:
    for group in prop.iter("classifiedLinkList"):
        classifier = [_target(link) for link in group.findall("classifierLinks/link")]
        if classifier:
            yield classifier[0].rsplit("/", 1)[-1], [_target(link) for link in group.findall("links/link")]


def parse_document(xml: bytes) -> Document:
    """A gsb document of any type; control characters are removed before parsing."""
    root = etree.fromstring(_CONTROL_RE.sub(b"", xml), parser=etree.XMLParser(resolve_entities=False))
    texts: dict[str, str] = {}
    values: dict[str, str] = {}
    links: dict[str, list[str]] = {}
    for prop in root.iterchildren("property"):
        name, kind = prop.get("name", "").removeprefix("gsb:"), prop.get("type")
        if kind == "RichText":
            texts[name] = _rich_text(prop)
        elif kind == "ClassifiedLinkLists":
            for classifier, targets in _classified(prop):
                links.setdefault(classifier, []).extend(targets)
        elif kind == "LinkList":
            links[name] = [_target(link) for link in prop.findall("links/link")]
        elif prop.find("value") is not None:
            values[name] = " ".join((prop.findtext("value") or "").split())
    path = f"{root.get('path', '')}/{root.get('name', '')}"
    return Document(path=path, type=root.get("type", ""), texts=texts, values=values, links=links)


@dataclass
class Export:
    """The zip's programme documents (raw, parsed later one by one) and the names and URLs they link to."""

    programmes: dict[str, bytes] = field(default_factory=dict)  # member name -> XML
    funders: dict[str, str] = field(default_factory=dict)  # document path -> funder name
    external: dict[str, str] = field(default_factory=dict)  # document path -> URL
    warnings: list[str] = field(default_factory=list)


def _index_linked(export: Export, member: str, xml: bytes, tree: str) -> None:
    try:
        doc = parse_document(xml)
    except etree.XMLSyntaxError as exc:
        export.warnings.append(f"{member}: not parseable ({exc})")
        return
    if tree == "Foerdergeber" and doc.texts.get("title"):
        export.funders[doc.path] = " ".join(doc.texts["title"].split())
    elif tree == "ExternerLink" and doc.values.get("url", "").startswith(("http://", "https://")):
        export.external[doc.path] = doc.values["url"]


def read_export(data: bytes) -> Export:
    """Programme documents plus funder names and external link URLs from the export zip."""
    export = Export()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in sorted(archive.namelist()):
            match = TREE_RE.search(member)
            if not match:
                continue
            xml = archive.read(member)
            if match.group(2) == "Foerderprogramm":
                export.programmes[member] = xml
            else:
                _index_linked(export, member, xml, match.group(2))
    return export
