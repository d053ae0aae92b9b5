"""Corrections: validated against the whole programme, applied on read, surviving re-loads, flagged for review."""

from __future__ import annotations

from sqlmodel import Session, select

from api.models import AuditEntry
from catalog import store
from catalog.models import Correction
from tests.api.desk_helpers import audit_actions, bearer, csrf_from, login, make_user
from tests.api.test_api import PROFILE
from tests.factories import programme

URL = "/api/v1/programmes/wasser-sued/corrections"
RATE = {"field": "rules.funding_rate", "value": 0.75, "reason": "Merkblatt 2026, Ziffer 4: bis zu 75 Prozent"}
WASSER = dict(  # the seeded programme as its source says it (tests/api/conftest.py)
    id="wasser-sued", title="Partnerschaftsprojekte Wasser Globaler Süden", level="bund",
    summary="Zuschüsse für Wasserprojekte von Kommunen mit Partnerkommunen in Afrika.",
    deadlines=[{"kind": "rolling"}],
)
RULES = {"applicant_types": ["kommune"], "partner_rule": {"required": True, "lists": ["DAC"]},
         "funding_rate": 0.9, "grant_min_eur": 50000, "grant_max_eur": 250000}


def reload(engine, **changes) -> None:  # type: ignore[no-untyped-def]
    """What a crawl does: upsert the programme as the source now says it."""
    rules = {**RULES, **changes.pop("rules", {})}
    with Session(engine) as s, s.begin():
        store.upsert_programme(s, programme(**{**WASSER, **changes}, rules=rules))


def rate(client) -> float:  # type: ignore[no-untyped-def]
    return client.get("/api/v1/programmes/wasser-sued").json()["programme"]["rules"]["funding_rate"]


def grant(client) -> float:  # type: ignore[no-untyped-def]
    return client.post("/api/v1/match?top=1", json=PROFILE).json()["matches"][0]["own_contribution"]["grant_eur"]


def test_correction_is_applied_on_read_and_in_matching(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    r = client.post(URL, json=RATE, headers=h)
    assert r.status_code == 201 and r.json()["author"] == "desk@example.org" and r.json()["active"]
    detail = client.get("/api/v1/programmes/wasser-sued").json()
    assert detail["programme"]["rules"]["funding_rate"] == 0.75
    assert detail["corrections"][0]["reason"].startswith("Merkblatt")
    assert grant(client) == 75000  # 100 000 € × 75 % instead of 90 %
    assert audit_actions(engine, "programme:wasser-sued") == ["correction.create"]


def test_value_is_normalised_and_checked_with_the_whole_programme(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    ok = client.post(URL, json={"field": "rules.grant_max_eur", "value": "300000", "reason": "Aufruf 2026"}, headers=h)
    assert ok.status_code == 201 and ok.json()["value"] == 300000.0
    cases = [
        ({**RATE, "field": "rules.zauberei"}, "field", "unknown field"),
        ({**RATE, "field": "id", "value": "neu"}, "field", "cannot be corrected"),
        ({**RATE, "field": "foerderquote"}, "field", "unknown field"),
        ({**RATE, "value": 1.5}, "value", "rules.funding_rate"),
        ({**RATE, "field": "rules.grant_min_eur", "value": 400000}, "value", "grant_min_eur is larger"),
        ({**RATE, "field": "deadlines", "value": [{"kind": "application"}]}, "value", "needs a date"),
        ({**RATE, "field": "title", "value": "ab"}, "value", "title"),
        ({**RATE, "reason": ""}, "reason", ""),
        ({"field": "rules.funding_rate", "value": 0.5}, "reason", ""),
    ]
    for body, field, words in cases:
        r = client.post(URL, json=body, headers=h)
        assert r.status_code == 422, body
        err = r.json()["detail"][0]
        assert err["loc"] == ["body", field] and words in err["msg"], (body, err)
    assert rate(client) == 0.9


def test_access_and_missing_things(client, engine) -> None:
    coordinator = bearer(make_user(engine, "koord@example.org", "coordinator"))
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    assert client.post(URL, json=RATE).status_code == 401
    assert client.post(URL, json=RATE, headers=coordinator).status_code == 403
    assert client.post("/api/v1/programmes/gibt-es-nicht/corrections", json=RATE, headers=h).status_code == 404
    assert client.get("/api/v1/programmes/gibt-es-nicht/corrections", headers=h).status_code == 404
    assert client.post("/api/v1/corrections/4711/withdraw", headers=h).status_code == 404
    assert client.post("/api/v1/corrections/4711/review", headers=h).status_code == 404
    assert client.get("/api/v1/corrections", headers=coordinator).status_code == 403


def test_a_new_correction_supersedes_the_old_one(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    old = client.post(URL, json=RATE, headers=h).json()["id"]
    client.post(URL, json={**RATE, "value": 0.8, "reason": "Korrektur der Korrektur"}, headers=h)
    assert rate(client) == 0.8
    active = client.get(URL, headers=h).json()
    assert [c["value"] for c in active] == [0.8]
    every = client.get(f"{URL}?include_withdrawn=true", headers=h).json()
    assert {c["id"]: c["active"] for c in every}[old] is False
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "correction.create")
                       .order_by(AuditEntry.id.desc())).first()  # type: ignore[union-attr]
    assert entry.before["superseded"][0]["id"] == old


def test_correction_survives_reload_and_a_disagreeing_source_asks_for_review(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    cid = client.post(URL, json=RATE, headers=h).json()["id"]
    reload(engine)  # the same content again
    reload(engine, summary="Zuschüsse für Wasserprojekte von Kommunen mit Partnern in Afrika und Asien.")
    assert rate(client) == 0.75
    assert client.get("/api/v1/corrections?needs_review=true", headers=h).json() == []
    reload(engine, rules={"funding_rate": 0.8})  # the source changed the corrected fact
    assert rate(client) == 0.75  # the adviser's value still holds ...
    flagged = client.get("/api/v1/corrections?needs_review=true", headers=h).json()
    assert [c["id"] for c in flagged] == [cid] and "0.8" in flagged[0]["review_note"]  # ... but is to be checked
    reviewed = client.post(f"/api/v1/corrections/{cid}/review", json={"note": "Merkblatt gilt weiter"}, headers=h)
    assert reviewed.status_code == 200 and reviewed.json()["needs_review"] is False
    assert reviewed.json()["review_note"] == "Merkblatt gilt weiter"
    withdrawn = client.post(f"/api/v1/corrections/{cid}/withdraw", headers=h)
    assert withdrawn.status_code == 200 and withdrawn.json()["active"] is False
    assert rate(client) == 0.8  # the source speaks again
    assert client.post(f"/api/v1/corrections/{cid}/withdraw", headers=h).status_code == 409
    assert client.post(f"/api/v1/corrections/{cid}/review", headers=h).status_code == 409
    assert audit_actions(engine, "programme:wasser-sued") == ["correction.create", "correction.review",
                                                              "correction.withdraw"]


def test_review_without_note_names_the_reviewer(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    cid = client.post(URL, json=RATE, headers=h).json()["id"]
    with Session(engine) as s, s.begin():
        s.get(Correction, cid).needs_review = True  # type: ignore[union-attr]
    assert client.post(f"/api/v1/corrections/{cid}/review", headers=h).json()["review_note"] == (
        "geprüft von desk@example.org")


def test_programme_page_shows_corrections_and_the_form_only_to_the_desk(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    client.post(URL, json=RATE, headers=h)
    public_page = client.get("/programme/wasser-sued").text
    assert "korrigiert" in public_page and "Merkblatt 2026" in public_page and "desk@example.org" in public_page
    assert "75 %" in public_page and "Angabe korrigieren" not in public_page
    login(client, "desk@example.org")
    assert "Angabe korrigieren" in client.get("/programme/wasser-sued").text


def test_desk_correction_form(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    csrf = login(client, "desk@example.org")
    form = {"field": "rules.funding_rate", "value": "1,5", "reason": "Merkblatt", "csrf_token": csrf}
    bad = client.post("/programme/wasser-sued/corrections", data=form)
    assert bad.status_code == 422 and "Wert nicht übernommen" in bad.text and "rules.funding_rate" in bad.text
    no_reason = client.post("/programme/wasser-sued/corrections", data={**form, "value": "0,6", "reason": ""})
    assert no_reason.status_code == 422 and "Bitte begründen" in no_reason.text
    assert client.post("/programme/wasser-sued/corrections", data={**form, "value": "0,6", "csrf_token": ""}
                       ).status_code == 403
    page = client.post("/programme/wasser-sued/corrections", data={**form, "value": "0,6"})
    assert page.status_code == 200 and "60 %" in page.text and "korrigiert" in page.text
    assert rate(client) == 0.6
    cid = client.get("/api/v1/programmes/wasser-sued").json()["corrections"][0]["id"]
    queue = client.get("/corrections")
    assert queue.status_code == 200 and "Nichts zu prüfen" in queue.text and "rules.funding_rate" in queue.text
    done = client.post(f"/corrections/{cid}/withdraw", data={"csrf_token": csrf_from(queue.text),
                                                             "next": "/programme/wasser-sued"})
    assert done.status_code == 200 and "Keine Korrekturen" in done.text
    assert rate(client) == 0.9


def test_audit_page(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    client.post(URL, json=RATE, headers=h)
    login(client, "desk@example.org")
    page = client.get("/audit")
    assert page.status_code == 200 and "Korrektur erfasst" in page.text and "programme:wasser-sued" in page.text
    assert "Keine Einträge für diese Filter" in client.get("/audit?actor=niemand@example.org").text


def test_withdrawn_correction_leaves_the_match_index(client, engine) -> None:
    h = bearer(make_user(engine, "desk@example.org", "desk"))
    cid = client.post(URL, json=RATE, headers=h).json()["id"]
    assert grant(client) == 75000
    client.post(f"/api/v1/corrections/{cid}/withdraw", headers=h)
    assert grant(client) == 90000
