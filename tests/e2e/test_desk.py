"""The desk in a real browser, used as an adviser would: log in, match, check, correct, audit, case, report."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, DESK_EMAIL, DESK_NAME, DESK_PASSWORD, Server, new_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

IDEA = ("Unsere Stadt möchte gemeinsam mit der Partnerstadt in Ghana die Abfallwirtschaft verbessern: "
        "Fachkräfte der Stadtreinigung tauschen sich aus, und wir bauen zusammen ein Wertstoffzentrum auf.")
MUNICIPALITY = "Stadt Musterstadt"
VERDICTS = {"förderfähig", "unklar", "nicht förderfähig"}
OC_RE = re.compile(r"Zuschuss ca\. (?P<grant>[\d.]+) € · Eigenanteil ca\. (?P<own>[\d.]+) €")


def euros(text: str) -> int:
    return int(text.replace(".", ""))


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def log_in(page: Any) -> None:
    """The login form with the keyboard only: type, Tab, type, Enter."""
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").focus()  # the field has autofocus; focusing again is harmless
    page.keyboard.type(DESK_EMAIL)
    page.keyboard.press("Tab")
    page.keyboard.type(DESK_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator(".who")).to_contain_text(DESK_NAME)
    expect(page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Fälle")).to_be_visible()


def fill_match_form(page: Any, *, idea: str, partner: str, budget: str = "") -> None:
    """Type the idea, then move through the form with Tab as a keyboard user does, and send it with Enter."""
    page.get_by_label("Projektidee (Deutsch oder Englisch)").click()
    page.keyboard.type(idea)
    page.keyboard.press("Tab")  # Antragsteller: "Kommune (Stadt/Gemeinde)" is preselected
    expect(page.get_by_label("Antragsteller")).to_be_focused()
    expect(page.get_by_label("Antragsteller")).to_have_value("kommune")
    page.keyboard.press("Tab")
    expect(page.get_by_label(re.compile("^Partnerland"))).to_be_focused()
    page.keyboard.type(partner)
    page.keyboard.press("Tab")  # Bundesland
    page.keyboard.type("NW")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Gesamtbudget in Euro")).to_be_focused()
    page.keyboard.type(budget)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Laufzeit in Monaten")).to_be_focused()
    page.keyboard.type("24")
    page.keyboard.press("Enter")


def pdf_text(download: Any, name: str) -> str:
    """Keep a downloaded PDF in the artifacts and return its text."""
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    target = ARTIFACTS / name
    download.save_as(str(target))
    data = target.read_bytes()
    assert data.startswith(b"%PDF-"), data[:20]
    return " ".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages)


def create_case_with_programme(page: Any, programme_id: str) -> int:
    """From the cases page: a new case for the municipality, then the programme on its shortlist."""
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Fälle").click()
    expect(page.get_by_role("heading", name="Fälle der Beratung")).to_be_visible()
    form = page.locator("form[action='/cases']")
    form.get_by_label("Kommune", exact=True).fill(MUNICIPALITY)
    form.get_by_label(re.compile("^Partnerland")).fill("Ghana")
    form.get_by_label("Gesamtbudget in Euro").fill("120.000")
    form.get_by_label("Projektidee").fill(IDEA)
    form.get_by_role("button", name="Fall anlegen").click()
    page.wait_for_url(re.compile(r"/cases/\d+$"))
    case_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_have_text(MUNICIPALITY)
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Ghana")
    expect(facts).to_contain_text("120.000 €")  # the German thousands separator was understood

    shortlist = page.locator("#auswahl")
    expect(shortlist).to_contain_text("Noch keine Programme vorgemerkt")
    shortlist.get_by_label("Programm", exact=True).select_option(programme_id)
    shortlist.get_by_label("Notiz", exact=True).fill("Frist mit Kämmerei abstimmen")
    shortlist.get_by_role("button", name="Vormerken").click()
    page.wait_for_url(re.compile(rf"/cases/{case_id}(#auswahl)?$"))
    expect(shortlist.locator(f"a[href='/programme/{programme_id}']")).to_be_visible()
    expect(shortlist.locator("input[name='note']").first).to_have_value("Frist mit Kämmerei abstimmen")
    return case_id


def test_desk_journey(page: Any, server: Server) -> None:
    """Log in, match a Ghana project, read the checks, correct a deadline, find it in the audit log, keep a case."""
    log_in(page)

    # Match: results with an eligibility badge each, and the checks behind the badge.
    fill_match_form(page, idea=IDEA, partner="Ghana", budget="120.000")
    heading = page.get_by_role("heading", name=re.compile(r"^\d+ passende Programme$"))
    expect(heading).to_be_visible()
    results = page.locator("li.result")
    assert results.count() >= 3, heading.inner_text()
    badges = [b.strip() for b in results.locator("h3 + .badge").all_inner_texts()]
    assert len(badges) == results.count() and set(badges) <= VERDICTS, badges
    expect(page.get_by_label(re.compile("^Partnerland"))).to_have_value("Ghana")  # the form keeps what was typed
    # Grant and Eigenanteil add up to the budget typed as "120.000": the German number was read as 120000.
    estimates = [OC_RE.search(t) for t in results.locator(".oc").all_inner_texts()]
    sums = {euros(m["grant"]) + euros(m["own"]) for m in estimates if m}
    assert sums == {120_000}, sums

    result = results.filter(has_not=page.locator(".status-paused")).first
    title = result.locator("h3 a").inner_text().strip()
    programme_id = result.locator("h3 a").get_attribute("href").removeprefix("/programme/")
    summary = result.locator("details > summary")
    expect(summary).to_have_text(re.compile(r"Prüfung der Förderfähigkeit \(\d+ Kriterien\)"))
    checks = result.locator("ul.checks > li")
    expect(checks.first).to_be_hidden()
    summary.focus()
    page.keyboard.press("Enter")  # a <summary> opens with the keyboard
    expect(result.locator("details")).to_have_attribute("open", "")
    expect(checks.first).to_be_visible()
    check_badges = [b.strip() for b in checks.locator(".badge").all_inner_texts()]
    assert check_badges and set(check_badges) <= VERDICTS, check_badges
    # The overall badge sums up the checks (conditions to confirm, "Bitte bestätigen", are listed but do not count).
    deciding = [b.strip() for b in checks.filter(has_not_text="Bitte bestätigen:").locator(".badge").all_inner_texts()]
    expected = ("nicht förderfähig" if "nicht förderfähig" in deciding else
                "unklar" if "unklar" in deciding else "förderfähig")
    assert result.locator("h3 + .badge").inner_text().strip() == expected, check_badges
    expect(checks.filter(has_text="Ghana").first).to_be_visible()  # the partner country was understood
    shot(page, "match-results-full")
    shot(page, "desk-match", docs=True, between=(page.locator("header.top"), results.nth(1)))

    # The result as a PDF report, from the buttons under the results (a POST with the session's CSRF token).
    with page.expect_download() as info:
        page.get_by_role("button", name="Bericht (PDF)").click()
    text = pdf_text(info.value, "match-bericht.pdf")
    assert "Ghana" in text and title.split()[0] in text, text[:500]

    # Programme page: correct the deadline; the form insists on a reason.
    result.locator("h3 a").click()
    page.wait_for_url(f"**/programme/{programme_id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    deadlines_heading = page.get_by_role("heading", name=re.compile("^Fristen"))
    expect(deadlines_heading.locator(".korrigiert")).to_have_count(0)
    new_day = dt.date.today() + dt.timedelta(days=150)
    new_date, shown_date = new_day.isoformat(), new_day.strftime("%d.%m.%Y")  # the desk writes dates the German way
    page.get_by_label("Feld", exact=True).select_option("deadlines")
    page.get_by_label("Richtiger Wert").fill(f'[{{"kind": "application", "date": "{new_date}"}}]')
    save = page.get_by_role("button", name="Korrektur speichern")
    save.click()
    reason = page.get_by_label(re.compile("^Begründung"))
    assert reason.evaluate("el => el.validity.valueMissing"), "an empty reason must block the form"
    expect(page).to_have_url(re.compile(rf"/programme/{programme_id}$"))  # not sent
    reason.fill("Frist laut neuem Aufruf verschoben (Merkblatt, S. 2)")
    save.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/programme/{programme_id}#korrekturen")
    expect(deadlines_heading.locator(".korrigiert")).to_have_text("korrigiert")
    expect(deadlines_heading.locator("xpath=following-sibling::ul[1]")).to_contain_text(f"Antrag: {shown_date}")
    fixes = page.locator("#korrekturen .corrected")
    expect(fixes).to_have_count(1)
    expect(fixes).to_contain_text("Begründung: Frist laut neuem Aufruf verschoben (Merkblatt, S. 2)")
    expect(fixes).to_contain_text(f"von {DESK_EMAIL}")
    expect(page.locator("article .status").first).to_have_text("offen")  # a deadline ahead: the call is open
    shot(page, "programme-corrected-full")
    shot(page, "desk-programme", docs=True,
         between=(page.locator("header.top"), deadlines_heading.locator("xpath=following-sibling::ul[1]")))

    # Matching reads the corrected catalogue: the programme now shows the new deadline.
    page.goto("/")
    fill_match_form(page, idea=IDEA, partner="Ghana", budget="120.000")
    again = page.locator("li.result").filter(has=page.locator(f"h3 a[href='/programme/{programme_id}']"))
    expect(again).to_have_count(1)
    expect(again).to_contain_text(f"nächste Frist {shown_date}")
    expect(again.locator(".status")).to_have_text("offen")

    # Audit log: the correction with who, what and where.
    page.get_by_role("navigation", name="Hauptnavigation").get_by_role("link", name="Protokoll").click()
    expect(page.get_by_role("heading", name="Protokoll aller Änderungen")).to_be_visible()
    row = page.locator("table.list tbody tr").filter(has_text="Korrektur erfasst").first
    expect(row).to_contain_text(DESK_EMAIL)
    expect(row.locator(f"a[href='/programme/{programme_id}']")).to_have_text(f"programme:{programme_id}")
    expect(row).to_contain_text(new_date)
    shot(page, "audit")

    # A case for the municipality with the corrected programme on its shortlist.
    case_id = create_case_with_programme(page, programme_id)
    expect(page.locator(".history")).to_contain_text("Programm vorgemerkt")
    shot(page, f"case-{case_id}")


def test_case_report_export(page: Any, server: Server) -> None:
    """The case's printable report (HTML) and its PDF download, both naming the municipality and the programme."""
    log_in(page)
    page.goto("/programme/skew-nakopa")
    title = page.get_by_role("heading", level=1).inner_text().strip()
    case_id = create_case_with_programme(page, "skew-nakopa")

    page.locator(f"a[href='/cases/{case_id}/bericht']").first.click()
    page.wait_for_url(f"**/cases/{case_id}/bericht")
    body = page.locator("body")
    expect(body).to_contain_text(MUNICIPALITY)
    expect(body).to_contain_text(title)
    shot(page, "report-screen")
    page.emulate_media(media="print")
    shot(page, "report-print")
    page.emulate_media(media="screen")

    page.go_back()
    pdf_link = page.locator(f"a[href='/cases/{case_id}/bericht.pdf']").first
    with page.expect_download() as info:
        pdf_link.click()
    text = pdf_text(info.value, f"fall-{case_id}-bericht.pdf")
    assert MUNICIPALITY in text and "Nakopa" in text, text[:500]


def test_results_on_a_phone(browser: Any, server: Server) -> None:
    """At 390 px the results are readable: nothing wider than the screen, badges and titles visible."""
    page = new_page(browser, server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                    device_scale_factor=2)
    try:
        page.goto("/")
        fill_match_form(page, idea=IDEA, partner="Ghana", budget="120000")
        expect(page.get_by_role("heading", name=re.compile(r"passende Programme$"))).to_be_visible()
        first = page.locator("li.result").first
        expect(first.locator("h3 + .badge")).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"the page is {overflow} px wider than a phone screen"
        box = first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        page.evaluate("el => el.scrollIntoView({block: 'start'})", page.locator("#res-h").element_handle())
        shot(page, "phone-results", full_page=False)
    finally:
        page.context.close()


def test_empty_catalogue_search(page: Any, server: Server) -> None:
    page.goto("/")
    search = page.get_by_role("search")
    search.get_by_label("Suchbegriffe").fill("Raumfahrtbehörde Mondbasis")
    search.get_by_label("Suchbegriffe").press("Enter")
    expect(page.locator("#count")).to_have_text("0 Programme für „Raumfahrtbehörde Mondbasis“")
    expect(page.locator("p.empty")).to_have_text(
        "Keine Programme gefunden. Versuchen Sie weniger oder andere Suchbegriffe.")
    expect(page.locator("li.programme")).to_have_count(0)
    expect(search.get_by_label("Suchbegriffe")).to_have_value("Raumfahrtbehörde Mondbasis")
    page.locator("#cat-h").scroll_into_view_if_needed()
    shot(page, "empty-search", full_page=False)


def test_unknown_partner_country(page: Any, server: Server) -> None:
    """A country that does not exist: a German alert, the form keeps the input, no results."""
    page.goto("/")
    fill_match_form(page, idea=IDEA, partner="Atlantis", budget="50.000")
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Bitte prüfen Sie das Feld")
    expect(alert).to_contain_text("Atlantis")
    expect(page.get_by_label(re.compile("^Partnerland"))).to_have_value("Atlantis")
    expect(page.get_by_label("Projektidee (Deutsch oder Englisch)")).to_have_value(IDEA)
    expect(page.locator("li.result")).to_have_count(0)
    shot(page, "error-unknown-country", full_page=False)



def test_unknown_partner_country_message_is_all_german(page: Any, server: Server) -> None:
    page.goto("/")
    fill_match_form(page, idea=IDEA, partner="Atlantis")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Partnerland")
    text = alert.inner_text()
    assert not re.search(r"Value error|unknown country|partners\.0", text), text
