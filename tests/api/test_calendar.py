"""The deadline calendar: /kalender by month in German, /api/v1/deadlines (JSON) and the .ics feed of all programmes."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from sqlmodel import Session

from api.exports.deadlines import DatedDeadline
from api.exports.ical import to_ics
from catalog import store
from tests.factories import programme

TODAY = dt.date.today()
IN_30, IN_90 = TODAY + dt.timedelta(days=30), TODAY + dt.timedelta(days=90)
WINDOW_OPENS, WINDOW_ENDS = TODAY - dt.timedelta(days=10), TODAY + dt.timedelta(days=60)
MONATE = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
          "Dezember"]


@pytest.fixture
def calls(client, engine) -> None:  # type: ignore[no-untyped-def]
    """Besides the seeded rolling and undated programmes: a two-stage Bund call and an EU window."""
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(
            id="zweistufig", title="Klimapartnerschaften in zwei Stufen", level="bund",
            deadlines=[{"kind": "interest", "date": IN_30.isoformat()},
                       {"kind": "application", "date": IN_90.isoformat()},
                       {"kind": "application", "date": (TODAY - dt.timedelta(days=1)).isoformat()}]))
        store.upsert_programme(s, programme(
            id="eu-fenster", title="Städtepartnerschaften Europa", level="eu",
            deadlines=[{"kind": "window", "date": WINDOW_OPENS.isoformat(), "end": WINDOW_ENDS.isoformat(),
                        "note": "Einreichung über das Portal"}]))


def test_deadlines_json_lists_dated_deadlines_soonest_first(client, calls) -> None:  # type: ignore[no-untyped-def]
    body = client.get("/api/v1/deadlines").json()
    assert body["from"] == TODAY.isoformat() and body["total"] == 3
    assert [(x["programme_id"], x["kind"], x["date"]) for x in body["items"]] == [
        ("zweistufig", "interest", IN_30.isoformat()),
        ("eu-fenster", "window", WINDOW_ENDS.isoformat()),
        ("zweistufig", "application", IN_90.isoformat()),
    ]  # the past application date and the rolling programme are no entries
    assert body["items"][1]["opens"] == WINDOW_OPENS.isoformat()


def test_deadlines_json_filters(client, calls) -> None:  # type: ignore[no-untyped-def]
    until = (TODAY + dt.timedelta(days=45)).isoformat()
    assert [x["kind"] for x in client.get(f"/api/v1/deadlines?to={until}").json()["items"]] == ["interest"]
    later = (TODAY + dt.timedelta(days=31)).isoformat()
    assert [x["kind"] for x in client.get(f"/api/v1/deadlines?from={later}").json()["items"]] == ["window",
                                                                                                    "application"]
    assert [x["programme_id"] for x in client.get("/api/v1/deadlines?level=eu").json()["items"]] == ["eu-fenster"]
    past = (TODAY - dt.timedelta(days=2)).isoformat()
    assert client.get(f"/api/v1/deadlines?from={past}").json()["total"] == 4  # now the missed one too
    for query in (f"from={until}&to={TODAY.isoformat()}", "from=31.12.2026", "level=kommune"):
        assert client.get(f"/api/v1/deadlines?{query}").status_code == 422, query


def test_ics_of_all_programmes_has_one_event_per_dated_deadline(client, calls) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/deadlines.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    events = sorted((e.decoded("dtstart"), str(e["uid"])) for e in cal.walk("VEVENT"))
    assert [d for d, _ in events] == [IN_30, WINDOW_ENDS, IN_90]
    assert len({uid for _, uid in events}) == 3 and sum(uid.startswith("zweistufig-") for _, uid in events) == 2
    window = next(e for e in cal.walk("VEVENT") if str(e["uid"]).startswith("eu-fenster"))
    assert "Einreichung über das Portal" in str(window["description"])
    assert str(window["url"]).endswith("/programme/eu-fenster")
    eu_only = icalendar.Calendar.from_ical(client.get("/api/v1/deadlines.ics?level=eu").content)
    assert len(list(eu_only.walk("VEVENT"))) == 1


def test_ics_escapes_and_folds_long_german_lines() -> None:
    title = "Förderung; Städtepartnerschaften, Jugendbegegnungen und Bürgerbeteiligung " * 3
    p = programme(id="lang", title=title.strip(), deadlines=[{"kind": "application", "date": "2027-03-15"}])
    body = to_ics([DatedDeadline(p, p.deadlines[0], dt.date(2027, 3, 15))], name="Fristen, alle", base_url="http://x/")
    assert all(len(line.encode("utf-8")) <= 75 for line in body.decode("utf-8").split("\r\n"))
    event = next(iter(icalendar.Calendar.from_ical(body).walk("VEVENT")))
    assert str(event["summary"]) == f"Antragsfrist: {title.strip()}"


def test_calendar_page_groups_by_german_month(client, calls) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/kalender")
    assert page.status_code == 200
    html = page.text
    first, last = f"{MONATE[IN_30.month - 1]} {IN_30.year}", f"{MONATE[IN_90.month - 1]} {IN_90.year}"
    assert first in html and last in html and html.index(first) < html.index(last)
    assert html.count('href="/programme/zweistufig"') == 2 and 'href="/programme/eu-fenster"' in html
    assert "Laufende Antragstellung" in html and 'href="/programme/wasser-sued"' in html
    assert 'href="/kalender"' in html and 'href="/quellen"' in html  # header navigation
    eu = client.get("/kalender?level=eu").text
    assert 'href="/programme/eu-fenster"' in eu and 'href="/programme/zweistufig"' not in eu
    assert 'href="/api/v1/deadlines.ics?level=eu"' in eu
