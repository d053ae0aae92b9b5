"""The digest as a pure function: what is new, what changed in ways that matter, reminders, filters, fingerprints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from catalog.schema import ProgrammeIn
from newsletter.digest import (
    Event,
    Filters,
    Sent,
    aspect_of,
    build_digest,
    fingerprint,
    relevant_facts,
    suppressed_by_feedback,
)
from tests.factories import programme

TODAY = dt.date(2027, 3, 1)


def prog(pid: str, deadline_days: int | None = 60, **kw: Any) -> ProgrammeIn:
    deadlines = [{"kind": "application", "date": (TODAY + dt.timedelta(days=deadline_days)).isoformat()}] \
        if deadline_days is not None else []
    return programme(id=pid, title=f"Programm {pid}", deadlines=deadlines, **kw)


def match(p: ProgrammeIn, score: float = 0.8, verdict: str = "eligible") -> dict[str, Any]:
    nd = p.deadlines[0].model_dump(mode="json", exclude_none=True) if p.deadlines else None
    return {"programme_id": p.id, "title": p.title, "url": p.url, "score": score, "status": "open",
            "eligibility": {"verdict": verdict, "checks": []}, "next_deadline": nd,
            "own_contribution": {"own_eur": 12000.0, "grant_eur": 108000.0, "note": ""}}


def digest(ps: list[ProgrammeIn], *, events=(), sent=(), suppressed=frozenset(), filters=Filters(), first=False,
           matches=None, today=TODAY):  # type: ignore[no-untyped-def]
    return build_digest(matches=matches or [match(p) for p in ps], programmes={p.id: p for p in ps},
                        events=list(events), sent=list(sent), suppressed=set(suppressed), filters=filters,
                        today=today, first=first)


def sent_from(d) -> list[Sent]:  # type: ignore[no-untyped-def]
    return [Sent(pid, kind, fp) for pid, kind, fp in d.records]


def test_changed_fields_map_to_aspects_that_matter() -> None:
    assert aspect_of("deadlines") == "deadlines"
    assert aspect_of("rules.funding_rate") == aspect_of("rules.grant_max_eur") == "amounts"
    assert aspect_of("rules.applicant_types") == aspect_of("rules.partner_rule") == "eligibility"
    assert aspect_of("paused") == "status"
    assert aspect_of("summary") is None and aspect_of("text") is None and aspect_of("evidence") is None


def test_first_digest_lists_every_match_as_new_and_empty_means_none() -> None:
    a, b = prog("aa"), prog("bb")
    d = digest([a, b], first=True)
    assert [(i.kind, i.programme_id) for i in d.items] == [("new", "aa"), ("new", "bb")]
    assert d.items[0].own_contribution["own_eur"] == 12000.0 and d.items[0].verdict == "eligible"
    assert d.items[0].deadline_date == (TODAY + dt.timedelta(days=60)).isoformat() and d.items[0].days_left == 60
    assert digest([a, b], sent=sent_from(d)) is None  # nothing happened since


def test_new_programme_event_only_for_matches() -> None:
    a = prog("aa")
    d = digest([a], events=[Event("aa", "new"), Event("bb", "new")])
    assert [i.programme_id for i in d.items] == ["aa"]  # b is not among the matches


def test_change_reported_once_with_its_new_value_and_again_only_when_it_changes_again() -> None:
    a = prog("aa", 60)
    first = digest([a], first=True)
    a2 = prog("aa", 45)
    d = digest([a2], events=[Event("aa", "changed", ("deadlines",))], sent=sent_from(first))
    [item] = d.items
    assert item.kind == "changed" and item.changes[0]["aspect"] == "deadlines"
    assert (TODAY + dt.timedelta(days=45)).strftime("%d.%m.%Y") in item.changes[0]["value"]
    told = sent_from(first) + sent_from(d)
    # The same event seen again (a re-run) or a later crawl that changes nothing that matters: nothing.
    assert digest([a2], events=[Event("aa", "changed", ("deadlines",))], sent=told) is None
    # Changed back to what was told before this change: that is news again.
    back = digest([a], events=[Event("aa", "changed", ("deadlines",))], sent=told)
    assert [i.kind for i in back.items] == ["changed"]


def test_irrelevant_changes_do_not_count_but_amounts_and_rules_and_pause_do() -> None:
    a = prog("aa")
    told = sent_from(digest([a], first=True))
    assert digest([prog("aa", summary="Ganz neuer Beschreibungstext für das Programm.")],
                  events=[Event("aa", "changed", ("summary",))], sent=told) is None
    rate = digest([prog("aa", rules={"funding_rate": 0.8})], events=[Event("aa", "changed", ("rules.funding_rate",))],
                  sent=told)
    assert rate.items[0].changes == [{"aspect": "amounts", "value": "Förderquote bis 80 %"}]
    paused = digest([prog("aa", paused=True)], events=[Event("aa", "changed", ("paused",))], sent=told)
    assert paused.items[0].changes == [{"aspect": "status", "value": "pausiert"}]
    rules = digest([prog("aa", rules={"applicant_types": ["verein"]})],
                   events=[Event("aa", "changed", ("rules.applicant_types",))], sent=told)
    assert rules.items[0].changes[0]["aspect"] == "eligibility"


def test_deadline_reminders_at_14_and_3_days_each_once() -> None:
    a = prog("aa", 60)
    told = sent_from(digest([a], first=True))
    assert digest([a], sent=told, today=TODAY + dt.timedelta(days=45)) is None  # 15 days left
    d14 = digest([a], sent=told, today=TODAY + dt.timedelta(days=47))  # 13 days left
    assert [(i.kind, i.days_left) for i in d14.items] == [("deadline_reminder", 13)]
    told += sent_from(d14)
    assert digest([a], sent=told, today=TODAY + dt.timedelta(days=50)) is None
    d3 = digest([a], sent=told, today=TODAY + dt.timedelta(days=58))
    assert [(i.kind, i.days_left) for i in d3.items] == [("deadline_reminder", 2)]
    assert digest([a], sent=told + sent_from(d3), today=TODAY + dt.timedelta(days=59)) is None


def test_reminder_folded_into_a_new_item_is_not_sent_again() -> None:
    a = prog("aa", 10)
    d = digest([a], first=True)
    assert [i.kind for i in d.items] == ["new"] and d.items[0].days_left == 10
    assert {kind for _, kind, _ in d.records} == {"new", "deadline_reminder"}
    assert digest([a], sent=sent_from(d), today=TODAY + dt.timedelta(days=1)) is None


def test_filters_and_feedback() -> None:
    a, c = prog("aa"), prog("cc")
    b = prog("bb", summary="Ein Programm nur für Sportvereine und ihre Partnerschaftsprojekte.")
    matches = [match(a, score=0.9), match(b, score=0.9), match(c, score=0.2, verdict="unclear")]
    d = digest([a, b, c], first=True, matches=matches, filters=Filters(min_score=0.5, exclude_words=("sport",)))
    assert [i.programme_id for i in d.items] == ["aa"]
    d = digest([a, b, c], first=True, matches=matches, filters=Filters(only_eligible=True), suppressed={"aa"})
    assert [i.programme_id for i in d.items] == ["bb"]


def test_latest_feedback_wins() -> None:
    assert suppressed_by_feedback([("aa", "passt_nicht"), ("bb", "passt_nicht"), ("aa", "passt")]) == {"bb"}


def test_fingerprint_covers_facts_that_matter_only() -> None:
    a, a_text = prog("aa"), prog("aa", text="Anderer Text")
    assert fingerprint("aa", "new", relevant_facts(a)) == fingerprint("aa", "new", relevant_facts(a_text))
    assert fingerprint("aa", "new", relevant_facts(a)) != fingerprint("aa", "new", relevant_facts(prog("aa", 61)))
    assert fingerprint("aa", "new", relevant_facts(a)) != fingerprint("aa", "changed", relevant_facts(a))
