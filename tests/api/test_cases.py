"""Cases and shortlists (API and desk pages), their history from the audit log, and GET /api/v1/audit."""

from __future__ import annotations

from sqlmodel import Session, select

from api.models import AuditEntry
from tests.api.desk_helpers import audit_actions, bearer, login, make_user

CASE = {
    "municipality": "Stadt Musterstadt",
    "profile": {"applicant": {"type": "kommune", "state": "NW"}, "partners": [{"country": "GH"}],
                "project": {"idea": "Wasserversorgung mit der Partnerstadt in Ghana", "budget_eur": 100000}},
    "notes": "Erstgespräch am Telefon",
}


def desk_headers(engine, email: str = "desk@example.org") -> dict[str, str]:  # type: ignore[no-untyped-def]
    return bearer(make_user(engine, email, "desk"))


def test_case_crud(client, engine) -> None:
    h = desk_headers(engine)
    created = client.post("/api/v1/cases", json=CASE, headers=h)
    assert created.status_code == 201
    case = created.json()
    assert case["shortlist"] == [] and case["history"][0]["action"] == "case.create"
    assert [c["id"] for c in client.get("/api/v1/cases", headers=h).json()] == [case["id"]]
    changed = client.patch(f"/api/v1/cases/{case['id']}", json={"notes": "Antrag geplant"}, headers=h).json()
    assert changed["notes"] == "Antrag geplant" and changed["municipality"] == "Stadt Musterstadt"
    assert changed["history"][0]["changes"]["notes"] == ["Erstgespräch am Telefon", "Antrag geplant"]
    assert client.delete(f"/api/v1/cases/{case['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/cases/{case['id']}", headers=h).status_code == 404
    assert audit_actions(engine, f"case:{case['id']}") == ["case.create", "case.update", "case.delete"]


def test_case_errors(client, engine) -> None:
    h = desk_headers(engine)
    make_user(engine, "koord@example.org", "coordinator")
    assert client.get("/api/v1/cases/4711", headers=h).status_code == 404
    assert client.patch("/api/v1/cases/4711", json={"notes": "x"}, headers=h).status_code == 404
    assert client.delete("/api/v1/cases/4711", headers=h).status_code == 404
    bad = [
        ({**CASE, "municipality": ""}, ["body", "municipality"]),
        ({**CASE, "profile": {**CASE["profile"], "applicant": {"type": "zauberer"}}},
         ["body", "profile", "applicant", "type"]),
        ({**CASE, "owner_id": 2}, ["body", "owner_id"]),  # user 2 is a coordinator, not an adviser
    ]
    for body, loc in bad:
        r = client.post("/api/v1/cases", json=body, headers=h)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc, loc
    assert client.get("/api/v1/cases").status_code == 401


def test_owner_can_be_another_adviser(client, engine) -> None:
    h = desk_headers(engine)
    desk2 = desk_headers(engine, "zwei@example.org")
    case = client.post("/api/v1/cases", json={**CASE, "owner_id": 2}, headers=h).json()
    assert case["owner_id"] == 2
    assert client.get("/api/v1/cases?mine=true", headers=h).json() == []
    assert len(client.get("/api/v1/cases?mine=true", headers=desk2).json()) == 1


def test_shortlist_lifecycle_and_history(client, engine) -> None:
    h = desk_headers(engine)
    cid = client.post("/api/v1/cases", json=CASE, headers=h).json()["id"]
    item = client.post(f"/api/v1/cases/{cid}/shortlist", json={"programme_id": "wasser-sued"}, headers=h)
    assert item.status_code == 201 and item.json()["status"] == "vorgemerkt"
    iid = item.json()["id"]
    upd = client.patch(f"/api/v1/cases/{cid}/shortlist/{iid}", json={"status": "in Prüfung", "note": "Skizze"},
                       headers=h)
    assert upd.status_code == 200 and upd.json()["status"] == "in Prüfung" and upd.json()["note"] == "Skizze"
    shown = client.get(f"/api/v1/cases/{cid}", headers=h).json()
    assert [i["programme_id"] for i in shown["shortlist"]] == ["wasser-sued"]
    assert client.delete(f"/api/v1/cases/{cid}/shortlist/{iid}", headers=h).status_code == 204
    history = client.get(f"/api/v1/cases/{cid}/history", headers=h).json()
    assert [e["action"] for e in history] == ["shortlist.remove", "shortlist.update", "shortlist.add", "case.create"]
    assert history[1]["changes"] == {"note": ["", "Skizze"], "status": ["vorgemerkt", "in Prüfung"]}
    assert all(e["actor"] == "desk@example.org" for e in history)


def test_shortlist_errors(client, engine) -> None:
    h = desk_headers(engine)
    cid = client.post("/api/v1/cases", json=CASE, headers=h).json()["id"]
    other = client.post("/api/v1/cases", json={**CASE, "municipality": "Landkreis B"}, headers=h).json()["id"]
    iid = client.post(f"/api/v1/cases/{cid}/shortlist", json={"programme_id": "wasser-sued"}, headers=h).json()["id"]
    dup = client.post(f"/api/v1/cases/{cid}/shortlist", json={"programme_id": "wasser-sued"}, headers=h)
    assert dup.status_code == 409
    for body, field in (({"programme_id": "gibt-es-nicht"}, "programme_id"),
                        ({"programme_id": "jugend-frankreich", "status": "genehmigt"}, "status")):
        r = client.post(f"/api/v1/cases/{cid}/shortlist", json=body, headers=h)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", field]
    assert client.patch(f"/api/v1/cases/{cid}/shortlist/{iid}", json={"status": "egal"}, headers=h).status_code == 422
    assert client.patch(f"/api/v1/cases/{other}/shortlist/{iid}", json={"note": "x"}, headers=h).status_code == 404
    assert client.delete(f"/api/v1/cases/{other}/shortlist/{iid}", headers=h).status_code == 404
    missing = client.post("/api/v1/cases/4711/shortlist", json={"programme_id": "wasser-sued"}, headers=h)
    assert missing.status_code == 404


def test_deleting_a_case_keeps_its_shortlist_in_the_audit_log(client, engine) -> None:
    h = desk_headers(engine)
    cid = client.post("/api/v1/cases", json=CASE, headers=h).json()["id"]
    item = {"programme_id": "wasser-sued", "status": "beantragt"}
    client.post(f"/api/v1/cases/{cid}/shortlist", json=item, headers=h)
    assert client.delete(f"/api/v1/cases/{cid}", headers=h).status_code == 204
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "case.delete")).one()
    assert entry.before["municipality"] == "Stadt Musterstadt"
    assert entry.before["shortlist"][0]["status"] == "beantragt"


def test_audit_api(client, engine) -> None:
    h = desk_headers(engine)
    cid = client.post("/api/v1/cases", json=CASE, headers=h).json()["id"]
    client.post(f"/api/v1/cases/{cid}/shortlist", json={"programme_id": "wasser-sued"}, headers=h)
    log = client.get("/api/v1/audit", headers=h).json()
    assert [e["action"] for e in log[:2]] == ["shortlist.add", "case.create"]
    assert [e["action"] for e in client.get(f"/api/v1/audit?scope=case:{cid}&limit=1", headers=h).json()] == [
        "shortlist.add"]
    assert client.get("/api/v1/audit?action=case.create&actor=niemand@example.org", headers=h).json() == []
    assert client.get("/api/v1/audit?limit=0", headers=h).status_code == 422
    coordinator = bearer(make_user(engine, "koord@example.org", "coordinator"))
    assert client.get("/api/v1/audit", headers=coordinator).status_code == 403
    assert client.get("/api/v1/audit").status_code == 401


FORM = {"municipality": "Gemeinde Beispiel", "applicant_type": "kommune", "partner_country": "Ghana",
        "state": "NW", "idea": "Schulpartnerschaft und Wasser", "budget_eur": "120.000", "notes": "per E-Mail"}


def test_desk_case_pages(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    csrf = login(client, "desk@example.org")
    empty = client.get("/cases")
    assert empty.status_code == 200 and "Noch keine Fälle" in empty.text
    bad = client.post("/cases", data={**FORM, "partner_country": "Atlantis", "csrf_token": csrf})
    assert bad.status_code == 422 and "Bitte prüfen Sie das Feld" in bad.text and "Gemeinde Beispiel" in bad.text
    made = client.post("/cases", data={**FORM, "csrf_token": csrf}, follow_redirects=False)
    assert made.status_code == 303
    url = made.headers["location"]
    page = client.get(url)
    assert "Gemeinde Beispiel" in page.text and "Ghana" in page.text and "120.000 €" in page.text
    assert "Noch keine Programme vorgemerkt" in page.text
    cid = int(url.rsplit("/", 1)[-1])
    client.post(f"{url}/shortlist", data={"programme_id": "wasser-sued", "status": "vorgemerkt", "csrf_token": csrf})
    with Session(engine) as s:
        iid = s.exec(select(AuditEntry).where(AuditEntry.action == "shortlist.add")).one().object_id
    r = client.post(f"{url}/shortlist/{iid}", data={"status": "bewilligt", "note": "Bescheid da", "csrf_token": csrf})
    assert r.status_code == 200 and 'value="bewilligt" selected' in r.text and "Auswahl geändert" in r.text
    again = client.post(f"{url}/shortlist", data={"programme_id": "wasser-sued", "csrf_token": csrf})
    assert again.status_code == 409 and "bereits auf der Auswahlliste" in again.text
    client.post(f"{url}/shortlist/{iid}/remove", data={"csrf_token": csrf})
    assert "Programm entfernt" in client.get(url).text
    assert client.post(f"{url}/delete", data={"csrf_token": csrf}).status_code == 422  # not confirmed
    assert client.post(f"{url}/delete", data={"confirm": "ja", "csrf_token": csrf}).status_code == 200
    assert client.get(url).status_code == 404
    assert audit_actions(engine, f"case:{cid}") == ["case.create", "shortlist.add", "shortlist.update",
                                                    "shortlist.remove", "case.delete"]


def test_desk_case_edit_form(client, engine) -> None:
    make_user(engine, "desk@example.org", "desk")
    csrf = login(client, "desk@example.org")
    url = client.post("/cases", data={**FORM, "csrf_token": csrf}, follow_redirects=False).headers["location"]
    form = {**FORM, "notes": "Zweites Gespräch", "owner_id": "1", "csrf_token": csrf}
    page = client.post(url, data=form)
    assert page.status_code == 200 and "Zweites Gespräch" in page.text and "Fall geändert" in page.text
    bad = client.post(url, data={**form, "owner_id": "abc"})
    assert bad.status_code == 422 and "zuständige Person" in bad.text
    assert client.get("/cases/4711").status_code == 404


def test_ids_beyond_the_integer_range_are_404_not_500(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.api.desk_helpers import bearer, make_user

    desk = bearer(make_user(engine, "grenze@example.org", "desk"))
    coord = bearer(make_user(engine, "koord-grenze@example.org", "coordinator"))
    huge = 2**63
    assert client.get(f"/api/v1/cases/{huge}", headers=desk).status_code == 404
    assert client.get(f"/api/v1/profiles/{huge}", headers=coord).status_code == 404
    assert client.post(f"/api/v1/corrections/{huge}/withdraw", headers=desk).status_code == 404
