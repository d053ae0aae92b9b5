"""Atom and iCalendar feeds at secret token URLs, read with feedparser and icalendar."""

from __future__ import annotations

import datetime as dt

import feedparser
import icalendar

from newsletter.jobs import run_newsletter
from tests.factories import profile
from tests.newsletter.conftest import TODAY, change, day, load_catalogue


def subscribe(client, channel: str) -> dict:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/subscriptions", json={"channel": channel, "frequency": "after_crawl",
                                                   "profile": profile().model_dump(mode="json", exclude_none=True)})
    assert r.status_code == 201, r.text
    return r.json()


def test_atom_feed_lists_each_item_once_newest_first(client, engine, runtime, nl_settings) -> None:  # type: ignore[no-untyped-def]
    answer = subscribe(client, "atom")
    assert answer["status"] == "active" and answer["feed_url"].endswith(f"/feeds/{answer['token']}.atom")
    feed_path = f"/feeds/{answer['token']}.atom"
    assert feedparser.parse(client.get(feed_path).content).entries == []
    load_catalogue(engine)
    run_newsletter(engine, nl_settings, runtime)
    r = client.get(feed_path)
    assert r.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(r.content)
    assert not parsed.bozo and len(parsed.entries) == 3
    assert {e.link for e in parsed.entries} == {"https://example.org/wasser", "https://example.org/klima",
                                                "https://example.org/jugend"}
    assert all(e.title.startswith("Neu: ") for e in parsed.entries)
    assert "Eigenanteil bei Ihrem Budget: 12.000 Euro" in next(e for e in parsed.entries
                                                              if "Wasser" in e.title).summary
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(44)}])
    run_newsletter(engine, nl_settings, runtime)
    run_newsletter(engine, nl_settings, runtime)
    again = feedparser.parse(client.get(feed_path).content)
    assert len(again.entries) == 4 and len({e.id for e in again.entries}) == 4
    assert again.entries[0].title == "Geändert: Partnerschaftsprojekte Wasser Globaler Süden"
    assert client.get("/feeds/gibt-es-nicht.atom").status_code == 404


def test_ical_feed_has_one_event_per_deadline_stage(client, engine, runtime, nl_settings) -> None:  # type: ignore[no-untyped-def]
    answer = subscribe(client, "ical")
    load_catalogue(engine)
    r = client.get(f"/feeds/{answer['token']}.ics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    assert all(len(line.encode()) <= 75 for line in r.content.decode().split("\r\n"))  # folded
    cal = icalendar.Calendar.from_ical(r.content)
    events = {(str(e["SUMMARY"]), e.decoded("DTSTART")) for e in cal.walk("VEVENT")}
    klima = "Klimapartnerschaften mit Projektskizze"
    assert events == {
        (f"Projektskizze/Interessenbekundung: {klima}", TODAY + dt.timedelta(days=30)),
        (f"Antragsfrist: {klima}", TODAY + dt.timedelta(days=90)),
        ("Antragsfrist: Partnerschaftsprojekte Wasser Globaler Süden", TODAY + dt.timedelta(days=60)),
    }
    uids = [str(e["UID"]) for e in cal.walk("VEVENT")]
    assert len(set(uids)) == 3
    triggers = sorted(a.decoded("TRIGGER") for a in cal.walk("VALARM"))[:2]
    assert triggers == [dt.timedelta(days=-14), dt.timedelta(days=-14)]
    assert client.get(f"/feeds/{answer['token']}.atom").status_code == 404  # an iCal subscription has no Atom
