"""The Förderdatenbank source: export documents parse, categories resolve, the keep rule, a whole crawl."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from lxml import etree

from crawlers.base import Page, SourceConfig, SourceError
from crawlers.fdb_export import Document, parse_document, read_export
from crawlers.foerderdatenbank import FoerderdatenbankSource, KeepRule, keep, parse_export, to_programme
from tests.sites.build_fdb_zip import TARGET, TREES, build

SITES = Path(__file__).resolve().parent.parent / "sites"
REAL, RECONSTRUCTED = TREES
CONTENT = "BMWI/FDB/Content/DE"
TODAY = dt.date(2025, 6, 1)
OPTIONS = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "sources.yaml").read_text())[
    "foerderdatenbank"
]["options"]
RULE = KeepRule.from_options(OPTIONS["keep"])


def doc(tree: Path, path: str) -> Document:
    return parse_document((tree / CONTENT / f"{path}.xml").read_bytes())


def programme(tree: Path, path: str) -> Any:
    export = read_export(build())
    return to_programme(doc(tree, path), funders=export.funders, external=export.external, today=TODAY)


REAL_PROGRAMMES = sorted((REAL / CONTENT / "Foerderprogramm").rglob("*.xml"))


def test_the_fixture_zip_is_built_from_the_trees() -> None:
    assert TARGET.read_bytes() == build(), "run tests/sites/build_fdb_zip.py"


@pytest.mark.parametrize("file", sorted(REAL.rglob("*.xml")), ids=lambda f: f.stem)
def test_every_real_export_document_parses(file: Path) -> None:
    parsed = parse_document(file.read_bytes())
    assert parsed.path.startswith("/BMWI/FDB/Content/DE/") and parsed.name == file.stem
    assert parsed.texts.get("title")


@pytest.mark.parametrize("file", REAL_PROGRAMMES, ids=lambda f: f.stem)
def test_every_real_programme_becomes_catalogue_content(file: Path) -> None:
    parsed = parse_document(file.read_bytes())
    p = to_programme(parsed, funders={}, external={}, today=TODAY)
    assert p.id == f"fdb-{file.stem}" and p.source_key == parsed.path and p.level == "bund"
    assert p.url == "https://www.foerderdatenbank.de/" + file.relative_to(REAL).with_suffix(".html").as_posix()[5:]


def test_classifier_links_resolve_to_codes() -> None:
    d = doc(REAL, "Foerderprogramm/Bund/BA/eingliederungszuschuss-bund")
    assert d.codes("Foerderberechtigte") == ["unternehmen", "verband_vereinigung", "oeffentliche_einrichtung"]
    assert d.codes("Foerderart") == ["zuschuss"] and d.codes("Foerderbereich") == ["arbeit"]
    assert d.codes("Foerdergebiet") == ["_bundesweit"] and d.codes("Foerdergeber") == ["bund"]
    assert d.codes("UFArbeit") == ["eingliederung_besonderer_zielgruppen", "betriebliche_arbeitsplaetze"]
    assert d.targets("Foerderorganisation") == [f"/{CONTENT}/Foerdergeber/B/bundesagentur-fuer-arbeit"]
    assert d.values["keywords"].startswith("Eingliederung Behinderte")


def test_linked_funder_documents_give_the_funder_name() -> None:
    p = programme(REAL, "Foerderprogramm/Bund/BKM/deutsch-franzoesische-kooperationen-film-ffa")
    assert p.funder == "Der Beauftragte der Bundesregierung für Kultur und Medien (BKM)"
    assert p.as_of == dt.date(2025, 5, 26)
    assert p.source_urls[1:] == [
        "https://www.ffa.de/deutsch-franzoesische-koproduktionsfonds.html",
        "https://portal.ffa.de/start",
    ]  # the linked ExternerLink documents


def test_stray_control_characters_are_tolerated() -> None:
    raw = (REAL / CONTENT / "ExternerLink/R/rgl-buergschaften-als-de-minimis-beihilfe-863736.xml").read_bytes()
    assert b"\x02" in raw
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(raw)
    assert "De-minimis-Beihilfen" in parse_document(raw).texts["title"]


def test_control_characters_and_soft_hyphens_in_a_programme() -> None:
    path = "Foerderprogramm/Land/Sachsen-Anhalt/internationale-zusammenarbeit-kommunalpartnerschaften"
    raw = (RECONSTRUCTED / CONTENT / f"{path}.xml").read_bytes()
    assert b"\x02" in raw and "\u00ad".encode() in raw
    p = programme(RECONSTRUCTED, path)
    assert p.title == "Förderung der internationalen Zusammenarbeit im Rahmen von Kommunalpartnerschaften"
    assert "förmlicher Partnerschaftsvertrag" in p.text


def test_the_keep_rule_keeps_programmes_for_towns_and_drops_the_rest() -> None:
    result = parse_export(build(), RULE, today=TODAY)
    assert sorted(p.id for p in result.programmes) == [
        "fdb-bwirkt-ausland",
        "fdb-internationale-zusammenarbeit-kommunalpartnerschaften",
        "fdb-internationale-zusammenarbeit-sachsen",
    ]
    dropped = [doc(REAL, str(f.relative_to(REAL / CONTENT).with_suffix(""))) for f in REAL_PROGRAMMES]
    assert [keep(d, RULE) for d in dropped] == [False, False, False]  # film, labour market, Einstiegsgeld
    assert result.warnings == []


def _doc(**codes: list[str]) -> Document:
    links = {name: [f"/BMWI/SiteGlobals/Categories/FDB/{name}/{c}" for c in cs] for name, cs in codes.items()}
    return Document(
        path="/BMWI/FDB/Content/DE/Foerderprogramm/Land/Hessen/x",
        type="gsb:ServiceOffer",
        texts={"title": "Sanierung kommunaler Straßen"},
        links=links,
    )


def test_keep_rule_parts() -> None:
    assert not keep(_doc(Foerderberechtigte=["kommune"], Foerderbereich=["infrastruktur"]), RULE)
    assert keep(_doc(Foerderberechtigte=["kommune"], UFAussenwirtschaft=["entwicklungszusammenarbeit"]), RULE)
    assert not keep(_doc(Foerderberechtigte=["unternehmen"], UFAussenwirtschaft=["entwicklungszusammenarbeit"]), RULE)
    assert not keep(_doc(Foerderart=["darlehen"], UFAussenwirtschaft=["entwicklungszusammenarbeit"]), RULE)
    words = Document(path="/x", type="gsb:ServiceOffer", texts={"title": "Zuschüsse für Städtepartnerschaften"})
    assert keep(words, RULE)  # no categories at all: the topic decides
    assert not keep(words, KeepRule.from_options({}))


def test_applicants_states_level_and_funder_from_categories() -> None:
    path = "Foerderprogramm/Land/Sachsen-Anhalt/internationale-zusammenarbeit-kommunalpartnerschaften"
    p = programme(RECONSTRUCTED, path)
    assert p.rules.applicant_types == ["kommune", "landkreis", "verein", "ngo", "kommunaler_spitzenverband"]
    assert p.evidence["applicant_types"].quote == "Förderberechtigte: Kommune, Verband/Vereinigung"
    assert (p.states, p.level) == (["ST"], "land") and p.evidence["states"].quote == "Fördergebiet: Sachsen-Anhalt"
    assert p.funder == "Staatskanzlei und Ministerium für Kultur des Landes Sachsen-Anhalt"
    assert p.themes == ["Kultur, Medien & Sport"]
    saxony = programme(RECONSTRUCTED, "Foerderprogramm/Land/Sachsen/internationale-zusammenarbeit-sachsen")
    assert saxony.funder == "Land Sachsen" and saxony.states == ["SN"]  # no linked Fördergeber document


def test_an_ambiguous_category_takes_the_text_or_stays_unknown() -> None:
    bw = programme(RECONSTRUCTED, "Foerderprogramm/Land/Baden-Wuerttemberg/bwirkt-ausland")
    assert set(bw.rules.applicant_types or []) >= {"kommune", "verein", "stiftung", "kirche"}  # Bildungseinr.
    assert bw.evidence["applicant_types"].quote.startswith("Förderberechtigte: Kommune, Verband/Vereinigung, Bild")
    mute = Document(
        path="/BMWI/FDB/Content/DE/Foerderprogramm/Bund/x/y",
        type="gsb:ServiceOffer",
        texts={"title": "Programm", "summary": "Ein Zuschuss für öffentliche Einrichtungen im Land."},
        links={"Foerderberechtigte": ["/BMWI/SiteGlobals/Categories/FDB/Foerderberechtigte/oeffentliche_einrichtung"]},
    )
    p = to_programme(mute, funders={}, external={}, today=TODAY)
    assert p.rules.applicant_types is None and "applicant_types" not in p.evidence


def test_facts_are_extracted_from_the_text_with_quotes() -> None:
    bw = programme(RECONSTRUCTED, "Foerderprogramm/Land/Baden-Wuerttemberg/bwirkt-ausland")
    assert [(d.kind, d.date) for d in bw.deadlines] == [("application", dt.date(2025, 8, 29))]
    assert "29. August 2025" in bw.evidence["deadlines"].quote
    assert bw.rules.partner_rule is not None and bw.rules.partner_rule.lists == ["DAC"]
    assert bw.rhythm == "jährlich"
    assert bw.funder == "Stiftung Entwicklungs-Zusammenarbeit Baden-Württemberg (SEZ)"
    einstieg = programme(REAL, "Foerderprogramm/Bund/BMAS/einstiegsgeld")
    assert einstieg.rules.grant_max_eur == 5000 and "EUR 5.000" in einstieg.evidence["grant_max_eur"].quote
    assert einstieg.summary.startswith("Das Einstiegsgeld dient")  # no summary field: first paragraph of prose


def test_the_same_file_name_in_two_trees_gets_qualified_ids() -> None:
    source = RECONSTRUCTED / CONTENT / "Foerderprogramm/Land/Sachsen/internationale-zusammenarbeit-sachsen.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for land in ("Sachsen", "Bayern"):
            xml = source.read_bytes().replace(b'/Land/Sachsen"', f'/Land/{land}"'.encode())
            archive.writestr(f"{CONTENT}/Foerderprogramm/Land/{land}/internationale-zusammenarbeit-sachsen.xml", xml)
    ids = sorted(p.id for p in parse_export(buffer.getvalue(), RULE, today=TODAY).programmes)
    assert ids == [
        "fdb-internationale-zusammenarbeit-sachsen-land-bayern",
        "fdb-internationale-zusammenarbeit-sachsen-land-sachsen",
    ]


def test_a_broken_document_is_a_warning_and_a_broken_zip_an_error() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{CONTENT}/Foerderprogramm/Bund/x/broken.xml", b"<document><property")
    assert "broken.xml" in parse_export(buffer.getvalue(), RULE, today=TODAY).warnings[0]
    with pytest.raises(SourceError):
        parse_export(b"PK not really", RULE, today=TODAY)


class FakeFetch:
    """Serves tests/sites/<host>/<path> for live URLs and records what was asked."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(
        self,
        url: str,
        *,
        method: str = "GET",
        data: Any = None,
        files: Any = None,
        accept: tuple[str, ...] = ("text/html",),
    ) -> Page:
        self.calls.append({"url": url, "method": method, "accept": accept})
        parts = urlsplit(url)
        body = (SITES / parts.netloc / parts.path.lstrip("/")).read_bytes()
        return Page(
            url=url,
            status=200,
            body=body,
            content_type="application/zip",
            fetched_at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
        )


def test_crawl_fetches_the_export_zip_and_keeps_the_relevant_programmes() -> None:
    fetch = FakeFetch()
    config = SourceConfig(name="foerderdatenbank", base_url="https://www.foerderdatenbank.de", options=OPTIONS)
    result = asyncio.run(FoerderdatenbankSource().crawl(fetch, config, today=TODAY))
    assert fetch.calls == [
        {
            "url": "https://www.foerderdatenbank.de/FDB/WS/export",
            "method": "GET",
            "accept": ("application/zip", "application/octet-stream"),
        }
    ]
    assert len(result.programmes) == 3 and {p.level for p in result.programmes} == {"land"}
