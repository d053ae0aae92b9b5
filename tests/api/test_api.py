"""The JSON API v1 and the desk pages: filters, detail, match, and clear 404/422 answers."""


def test_health(client) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["programmes"] == 2 and body["model"].startswith("fake")


def test_list_and_filters(client) -> None:
    assert client.get("/api/v1/programmes").json()["total"] == 2
    assert [i["id"] for i in client.get("/api/v1/programmes?level=jugendwerk").json()["items"]] == ["jugend-frankreich"]
    assert [i["id"] for i in client.get("/api/v1/programmes?partner_country=Ghana").json()["items"]] == ["wasser-sued"]
    assert [i["id"] for i in client.get("/api/v1/programmes?applicant_type=verein").json()["items"]] == [
        "jugend-frankreich"
    ]
    assert [i["id"] for i in client.get("/api/v1/programmes?q=afrika wasser").json()["items"]] == ["wasser-sued"]
    assert client.get("/api/v1/programmes?status=rolling").json()["total"] == 1
    page = client.get("/api/v1/programmes?per_page=1&page=2").json()
    assert page["total"] == 2 and len(page["items"]) == 1


def test_bad_filters_name_the_field(client) -> None:
    for query, field in (
        ("level=mond", "level"),
        ("applicant_type=zauberer", "applicant_type"),
        ("partner_country=Atlantis", "partner_country"),
        ("per_page=0", "per_page"),
    ):
        r = client.get(f"/api/v1/programmes?{query}")
        assert r.status_code == 422, query
        assert r.json()["detail"][0]["loc"][-1] == field


def test_detail_and_404(client) -> None:
    body = client.get("/api/v1/programmes/wasser-sued").json()
    assert body["programme"]["rules"]["funding_rate"] == 0.9
    assert body["passages"] and body["versions"][0]["version"] == 1
    assert client.get("/api/v1/programmes/gibt-es-nicht").status_code == 404


PROFILE = {
    "id": "fall-1",
    "applicant": {"type": "kommune", "state": "NW"},
    "partners": [{"country": "Ghana"}],
    "project": {"idea": "Wasserversorgung mit der Partnerstadt in Afrika verbessern", "budget_eur": 100000},
}


def test_match_answer_shape(client) -> None:
    body = client.post("/api/v1/match?top=2", json=PROFILE).json()
    assert body["id"] == "fall-1"
    first = body["matches"][0]
    assert first["programme_id"] == "wasser-sued" and first["rank"] == 1
    assert first["eligibility"]["verdict"] == "eligible"
    assert first["own_contribution"]["grant_eur"] == 90000 and first["own_contribution"]["own_eur"] == 10000
    second = body["matches"][1]
    assert second["eligibility"]["verdict"] == "ineligible"  # France-only fund, Ghanaian partner: flagged, kept


def test_match_validation_names_the_field(client) -> None:
    cases = [
        ({**PROFILE, "applicant": {"type": "zauberer"}}, ["body", "applicant", "type"]),
        ({**PROFILE, "partners": [{"country": "Atlantis"}]}, ["body", "partners", 0, "country"]),
        ({**PROFILE, "project": {"idea": ""}}, ["body", "project", "idea"]),
        ({**PROFILE, "project": {"idea": "x" * 5001}}, ["body", "project", "idea"]),
        ({**PROFILE, "project": {"idea": "Idee", "start": "März"}}, ["body", "project", "start"]),
        ({**PROFILE, "extra": 1}, ["body", "extra"]),
    ]
    for body, loc in cases:
        r = client.post("/api/v1/match", json=body)
        assert r.status_code == 422
        assert r.json()["detail"][0]["loc"] == loc
    assert client.post("/api/v1/match?top=0", json=PROFILE).status_code == 422


def test_desk_pages(client) -> None:
    page = client.get("/?q=jugend")
    assert page.status_code == 200 and "Deutsch-französische Jugendbegegnungen" in page.text
    assert "Partnerschaftsprojekte Wasser" not in page.text
    form = {
        "idea": "Wasser in Afrika",
        "applicant_type": "kommune",
        "partner_country": "Ghana",
        "budget_eur": "100.000",
    }
    result = client.post("/match", data=form)
    assert result.status_code == 200 and "förderfähig" in result.text
    bad = client.post("/match", data={**form, "partner_country": "Atlantis"})
    assert bad.status_code == 422 and "Bitte prüfen Sie" in bad.text
    assert "Änderungsverlauf" in client.get("/programme/wasser-sued").text
    assert client.get("/programme/gibt-es-nicht").status_code == 404


def test_desk_escapes_html(client) -> None:
    r = client.get("/?q=<script>alert(1)</script>")
    assert "<script>alert(1)</script>" not in r.text
