"""Saved profiles: a coordinator's own CRUD, others' ids are 404, validation names the field, writes are audited."""

from __future__ import annotations

from sqlmodel import Session, col, select

from api.models import AuditEntry
from tests.api.desk_helpers import audit_actions, bearer, make_user

PROFILE = {
    "applicant": {"type": "kommune", "state": "NW"},
    "partners": [{"country": "Ghana"}],
    "project": {"idea": "Wasserversorgung mit der Partnerstadt", "budget_eur": 80000},
}


def test_crud_of_own_profiles(client, engine) -> None:
    h = bearer(make_user(engine, "koord@example.org", "coordinator"))
    created = client.post("/api/v1/profiles", json={"name": "Ghana Wasser", "profile": PROFILE}, headers=h)
    assert created.status_code == 201
    body = created.json()
    assert body["profile"]["partners"] == [{"country": "GH"}]  # normalised like the matcher reads it
    pid = body["id"]
    assert [p["id"] for p in client.get("/api/v1/profiles", headers=h).json()] == [pid]
    assert client.get(f"/api/v1/profiles/{pid}", headers=h).json()["name"] == "Ghana Wasser"
    changed = client.patch(f"/api/v1/profiles/{pid}", json={"name": "Ghana Wasser 2027"}, headers=h)
    assert changed.status_code == 200 and changed.json()["name"] == "Ghana Wasser 2027"
    assert changed.json()["profile"] == body["profile"]
    assert client.delete(f"/api/v1/profiles/{pid}", headers=h).status_code == 204
    assert client.get(f"/api/v1/profiles/{pid}", headers=h).status_code == 404
    assert audit_actions(engine, f"profile:{pid}") == ["profile.create", "profile.update", "profile.delete"]


def test_audit_keeps_before_and_after(client, engine) -> None:
    h = bearer(make_user(engine, "koord@example.org", "coordinator"))
    pid = client.post("/api/v1/profiles", json={"name": "A", "profile": PROFILE}, headers=h).json()["id"]
    client.patch(f"/api/v1/profiles/{pid}", json={"name": "B"}, headers=h)
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "profile.update")).one()
    assert entry.actor == "koord@example.org" and entry.before["name"] == "A" and entry.after["name"] == "B"


def test_others_profiles_are_not_found(client, engine) -> None:
    mine = bearer(make_user(engine, "a@example.org", "coordinator"))
    theirs = bearer(make_user(engine, "b@example.org", "coordinator"))
    pid = client.post("/api/v1/profiles", json={"name": "Geheim", "profile": PROFILE}, headers=theirs).json()["id"]
    assert client.get("/api/v1/profiles", headers=mine).json() == []
    assert client.get(f"/api/v1/profiles/{pid}", headers=mine).status_code == 404
    assert client.patch(f"/api/v1/profiles/{pid}", json={"name": "X"}, headers=mine).status_code == 404
    assert client.delete(f"/api/v1/profiles/{pid}", headers=mine).status_code == 404
    assert client.get(f"/api/v1/profiles/{pid}", headers=theirs).json()["name"] == "Geheim"
    assert client.get("/api/v1/profiles/999999", headers=mine).status_code == 404


def test_validation_names_the_field(client, engine) -> None:
    h = bearer(make_user(engine, "koord@example.org", "coordinator"))
    cases = [
        ({"profile": PROFILE}, ["body", "name"]),
        ({"name": "", "profile": PROFILE}, ["body", "name"]),
        ({"name": "X", "profile": {**PROFILE, "partners": [{"country": "Atlantis"}]}},
         ["body", "profile", "partners", 0, "country"]),
        ({"name": "X", "profile": {**PROFILE, "project": {"idea": ""}}}, ["body", "profile", "project", "idea"]),
        ({"name": "X", "profile": PROFILE, "extra": 1}, ["body", "extra"]),
    ]
    for body, loc in cases:
        r = client.post("/api/v1/profiles", json=body, headers=h)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc, body
    assert client.get("/api/v1/profiles/abc", headers=h).status_code == 422
    assert audit_actions(engine, None)[-1] == "token.create"  # nothing stored, nothing audited


def test_duplicate_name_is_a_conflict(client, engine) -> None:
    h = bearer(make_user(engine, "koord@example.org", "coordinator"))
    client.post("/api/v1/profiles", json={"name": "Eins", "profile": PROFILE}, headers=h)
    other = client.post("/api/v1/profiles", json={"name": "Zwei", "profile": PROFILE}, headers=h).json()["id"]
    assert client.post("/api/v1/profiles", json={"name": "Eins", "profile": PROFILE}, headers=h).status_code == 409
    assert client.patch(f"/api/v1/profiles/{other}", json={"name": "Eins"}, headers=h).status_code == 409
    # another coordinator may use the same name
    h2 = bearer(make_user(engine, "b@example.org", "coordinator"))
    assert client.post("/api/v1/profiles", json={"name": "Eins", "profile": PROFILE}, headers=h2).status_code == 201


def test_profiles_need_an_account(client) -> None:
    assert client.get("/api/v1/profiles").status_code == 401
    assert client.post("/api/v1/profiles", json={"name": "X", "profile": PROFILE}).status_code == 401
    assert client.delete("/api/v1/profiles/1").status_code == 401


def test_saved_profile_matches_like_a_submitted_one(client, engine) -> None:
    h = bearer(make_user(engine, "koord@example.org", "coordinator"))
    saved = client.post("/api/v1/profiles", json={"name": "A", "profile": PROFILE}, headers=h).json()
    first = client.post("/api/v1/match?top=1", json=saved["profile"]).json()["matches"][0]
    assert first["programme_id"] == "wasser-sued" and first["eligibility"]["verdict"] == "eligible"
    with Session(engine) as s:
        assert s.exec(select(AuditEntry).order_by(col(AuditEntry.id).desc())).first().action == "profile.create"
