"""Exports of match results and case shortlists: CSV for Excel, HTML and PDF reports, iCalendar deadlines."""

from __future__ import annotations

import csv
import datetime as dt
import io

import icalendar
import pytest
from pypdf import PdfReader
from sqlmodel import Session

from catalog import store
from tests.api.desk_helpers import audit_actions, bearer, csrf_from, login, make_user
from tests.factories import programme

TODAY = dt.date.today()
INTEREST, APPLICATION = TODAY + dt.timedelta(days=30), TODAY + dt.timedelta(days=90)
QUOTE = "Antragsberechtigt sind ausschließlich Kommunen und Landkreise."
PROFILE = {"applicant": {"type": "kommune", "name": "Stadt Musterstadt", "state": "NW"},
           "partners": [{"country": "GH"}],
           "project": {"idea": "Wasserversorgung und Klima mit der Partnerstadt in Ghana", "budget_eur": 123456.5}}


@pytest.fixture
def two_stage(client, engine) -> None:  # type: ignore[no-untyped-def]
    """A two-stage call (sketch, then application), with a source quote, a date of its text and own-fund rules."""
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(
            id="zweistufig", title="Klimapartnerschaften in zwei Stufen", level="bund", as_of="2026-05-01",
            rules={"applicant_types": ["kommune"], "funding_rate": 0.75, "grant_max_eur": 50000,
                   "own_funds": {"cash": True, "in_kind": False}},
            evidence={"applicant_types": {"quote": QUOTE, "url": "https://example.org/richtlinie.pdf"}},
            deadlines=[{"kind": "interest", "date": INTEREST.isoformat()},
                       {"kind": "application", "date": APPLICATION.isoformat()},
                       {"kind": "application", "date": (TODAY - dt.timedelta(days=5)).isoformat()}],
        ))


def rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages).split())


def de_number(text: str) -> float:
    return float(text.replace(",", "."))


# --- match export -------------------------------------------------------------------------------------------------


def test_match_csv_has_german_heads_and_numbers(client, two_stage) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/match/export?format=csv", json=PROFILE)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("attachment;") and ".csv" in r.headers["content-disposition"]
    table = rows(r.content)
    assert list(table[0])[:6] == ["Rang", "Programm", "Kennung", "Fördergeber", "Ebene", "Förderfähigkeit"]
    by_id = {row["Kennung"]: row for row in table}
    assert set(by_id) == {"wasser-sued", "jugend-frankreich", "zweistufig"}
    water = by_id["wasser-sued"]  # 90 % of 123,456.50, within 50,000..250,000
    assert water["Förderfähigkeit"] == "förderfähig" and water["Förderquote (%)"] == "90"
    assert de_number(water["Zuschuss (EUR)"]) == pytest.approx(111110.85)
    assert de_number(water["Eigenanteil (EUR)"]) == pytest.approx(12345.65)
    capped = by_id["zweistufig"]  # 75 % would be 92,592.38, capped at 50,000
    assert de_number(capped["Zuschuss (EUR)"]) == 50000 and de_number(capped["Eigenanteil (EUR)"]) == 73456.5
    assert capped["Stand"] == "01.05.2026" and "Eigenmittel" in capped["Auf den Eigenanteil anrechenbar"]
    assert capped["Nächste Frist"] == f"Interessenbekundung / Projektskizze bis {INTEREST:%d.%m.%Y}"
    assert by_id["jugend-frankreich"]["Förderfähigkeit"] == "nicht förderfähig"
    assert "Ghana" in by_id["jugend-frankreich"]["Offene oder fehlende Punkte"]
    assert [int(row["Rang"]) for row in table] == [1, 2, 3]


def test_match_pdf_names_the_programmes_and_the_eigenanteil(client, two_stage) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/match/export?format=pdf&top=10", json=PROFILE)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    text = pdf_text(r.content)
    for title in ("Partnerschaftsprojekte Wasser Globaler Süden", "Klimapartnerschaften in zwei Stufen",
                  "Deutsch-französische Jugendbegegnungen"):
        assert title in text
    assert "Eigenanteil" in text and "12.346 €" in text and "73.456 €" in text  # the two own shares
    assert QUOTE in text and "Stand der Angaben: 01.05.2026" in text and "Angaben ohne Gewähr" in text


def test_match_html_report_shows_checks_quotes_and_sources(client, two_stage) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/match/export?format=html", json=PROFILE)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "Förderbericht für Stadt Musterstadt" in html and "@media print" in html
    assert "Kommunen sind antragsberechtigt." in html  # a check's reason
    assert f"„{QUOTE}“" in html and 'href="https://example.org/richtlinie.pdf"' in html  # its quote and source
    assert "Welche Partnerländer zugelassen sind, ist nicht erfasst." in html  # an unclear check says what to ask
    assert "73.456 €" in html and "Nicht anrechenbar: unbare Eigenleistungen." in html
    assert "Stand der Angaben: 01.05.2026" in html and "Angaben ohne Gewähr" in html


def test_match_export_top_limits_the_rows(client, two_stage) -> None:  # type: ignore[no-untyped-def]
    assert len(rows(client.post("/api/v1/match/export?format=csv&top=1", json=PROFILE).content)) == 1


@pytest.mark.parametrize(("query", "body"), [
    ("format=xls", PROFILE), ("format=csv&top=0", PROFILE),
    ("format=csv", {**PROFILE, "applicant": {"type": "zauberer"}}), ("format=csv", {"project": {"idea": "x"}}),
])
def test_match_export_rejects_bad_input(client, query, body) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"/api/v1/match/export?{query}", json=body).status_code == 422


FORM = {"idea": "Wasserversorgung mit der Partnerstadt", "applicant_type": "kommune", "partner_country": "Ghana",
        "state": "", "budget_eur": "100.000", "duration_months": "", "participants": ""}


def test_desk_form_exports_for_anonymous_and_checks_csrf_when_logged_in(client, engine) -> None:  # type: ignore[no-untyped-def]
    page = client.post("/match", data=FORM)
    assert 'action="/match/export"' in page.text and "Bericht (PDF)" in page.text and "Bericht drucken" in page.text
    anonymous = client.post("/match/export", data={**FORM, "format": "csv"})
    assert anonymous.status_code == 200
    assert de_number(rows(anonymous.content)[0]["Zuwendungsfähige Ausgaben (EUR)"]) == 100000
    make_user(engine, "koord@example.org", "coordinator")
    token = login(client, "koord@example.org")
    assert client.post("/match/export", data={**FORM, "format": "pdf"}).status_code == 403  # no CSRF token
    signed = client.post("/match/export", data={**FORM, "format": "pdf", "csrf_token": token})
    assert signed.status_code == 200 and signed.content.startswith(b"%PDF")
    printable = client.post("/match/export", data={**FORM, "format": "html", "csrf_token": token})
    assert printable.headers["content-disposition"].startswith("inline") and "window.print()" in printable.text
    bad = client.post("/match/export", data={**FORM, "partner_country": "Atlantis", "csrf_token": token})
    assert bad.status_code == 422 and "Atlantis" in bad.text


# --- case export --------------------------------------------------------------------------------------------------

CASE = {"municipality": "Stadt Musterstadt", "profile": PROFILE, "notes": "Ratsbeschluss im März"}


def make_case(client, headers) -> int:  # type: ignore[no-untyped-def]
    cid = client.post("/api/v1/cases", json=CASE, headers=headers).json()["id"]
    for pid, status, note in (("zweistufig", "in Prüfung", "Skizze bis Jahresende"), ("wasser-sued", "vorgemerkt", ""),
                              ("jugend-frankreich", "verworfen", "kein Partnerland")):
        r = client.post(f"/api/v1/cases/{cid}/shortlist", json={"programme_id": pid, "status": status, "note": note},
                        headers=headers)
        assert r.status_code == 201
    return cid


def test_case_export_has_statuses_notes_and_verdicts(client, engine, two_stage) -> None:  # type: ignore[no-untyped-def]
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    cid = make_case(client, h)
    table = rows(client.get(f"/api/v1/cases/{cid}/export?format=csv", headers=h).content)
    assert "Rang" not in table[0]
    by_id = {row["Kennung"]: row for row in table}
    assert by_id["zweistufig"]["Status in der Auswahl"] == "in Prüfung"
    assert by_id["zweistufig"]["Notiz"] == "Skizze bis Jahresende"
    assert by_id["jugend-frankreich"]["Förderfähigkeit"] == "nicht förderfähig"
    html = client.get(f"/api/v1/cases/{cid}/export?format=html", headers=h).text
    assert "Fall " + str(cid) in html and "Ratsbeschluss im März" in html and QUOTE in html
    assert "Stand der Beratung: <strong>in Prüfung</strong> – Skizze bis Jahresende" in html
    text = pdf_text(client.get(f"/api/v1/cases/{cid}/export?format=pdf", headers=h).content)
    assert "Klimapartnerschaften in zwei Stufen" in text and "Eigenanteil" in text and "in Prüfung" in text
    assert audit_actions(engine, f"case:{cid}")[-1] == "shortlist.add"  # reading writes nothing


def test_case_export_access(client, engine, two_stage) -> None:  # type: ignore[no-untyped-def]
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    cid = make_case(client, h)
    coordinator = bearer(make_user(engine, "koord@example.org", "coordinator"))
    for path in (f"/api/v1/cases/{cid}/export?format=csv", f"/api/v1/cases/{cid}/deadlines.ics"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=coordinator).status_code == 403
    assert client.get("/api/v1/cases/4711/export", headers=h).status_code == 404
    assert client.get("/api/v1/cases/4711/deadlines.ics", headers=h).status_code == 404
    assert client.get(f"/api/v1/cases/{cid}/export?format=doc", headers=h).status_code == 422


def events(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_case_deadlines_ics_has_both_stages_and_skips_finished_entries(client, engine, two_stage) -> None:  # type: ignore[no-untyped-def]
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    cid = make_case(client, h)
    with Session(engine) as s, s.begin():  # a dated call for the discarded entry: it must stay out
        store.upsert_programme(s, programme(id="jugend-frankreich", title="Deutsch-französische Jugendbegegnungen",
                                            level="jugendwerk", deadlines=[{"kind": "application",
                                                                            "date": INTEREST.isoformat()}]))
    r = client.get(f"/api/v1/cases/{cid}/deadlines.ics", headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    found = sorted((e.decoded("dtstart"), str(e["summary"])) for e in events(r.content))
    assert found == [(INTEREST, "Projektskizze / Interessenbekundung: Klimapartnerschaften in zwei Stufen"),
                     (APPLICATION, "Antragsfrist: Klimapartnerschaften in zwei Stufen")]  # rolling water: no event


def test_case_page_links_the_exports(client, engine, two_stage) -> None:  # type: ignore[no-untyped-def]
    make_user(engine, "desk@example.org", "desk")
    login(client, "desk@example.org")
    token = csrf_from(client.get("/cases").text)
    created = client.post("/cases", data={"municipality": "Stadt Musterstadt", "applicant_type": "kommune",
                                          "idea": "Wasser", "budget_eur": "80000", "csrf_token": token},
                          follow_redirects=False)
    cid = int(created.headers["location"].rsplit("/", 1)[1])
    client.post(f"/cases/{cid}/shortlist", data={"programme_id": "zweistufig", "csrf_token": token})
    page = client.get(f"/cases/{cid}").text
    for link in ("bericht", "bericht.pdf", "shortlist.csv", "fristen.ics"):
        assert f'href="/cases/{cid}/{link}"' in page
    report = client.get(f"/cases/{cid}/bericht")
    assert report.status_code == 200 and "@media print" in report.text and f'href="/cases/{cid}"' in report.text
    assert pdf_text(client.get(f"/cases/{cid}/bericht.pdf").content).count("Klimapartnerschaften in zwei Stufen") >= 1
    assert rows(client.get(f"/cases/{cid}/shortlist.csv").content)[0]["Kennung"] == "zweistufig"
    assert len(events(client.get(f"/cases/{cid}/fristen.ics").content)) == 2
    client.cookies.clear()
    assert client.get(f"/cases/{cid}/bericht", follow_redirects=False).status_code == 303  # to the login


# --- a coordinator's saved profile -------------------------------------------------------------------------------


def test_profile_deadlines_ics_is_the_owners_only(client, engine, two_stage) -> None:  # type: ignore[no-untyped-def]
    owner = bearer(make_user(engine, "koord@example.org", "coordinator"))
    other = bearer(make_user(engine, "andere@example.org", "coordinator"))
    pid = client.post("/api/v1/profiles", json={"name": "Ghana", "profile": PROFILE}, headers=owner).json()["id"]
    r = client.get(f"/api/v1/profiles/{pid}/deadlines.ics", headers=owner)
    assert r.status_code == 200
    assert sorted(e.decoded("dtstart") for e in events(r.content)) == [INTEREST, APPLICATION]
    assert client.get(f"/api/v1/profiles/{pid}/deadlines.ics", headers=other).status_code == 404
    assert client.get(f"/api/v1/profiles/{pid}/deadlines.ics").status_code == 401
