"""Oversized and malicious input on both databases: a clear 4xx naming the field, never a 500, no stored XSS.

Every input goes through the real app; a server error shows as status 500 instead of an exception in the test.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from api import accounts
from tests.api.desk_helpers import PASSWORD, bearer, login, make_user

PROFILE: dict[str, Any] = {"applicant": {"type": "kommune"}, "partners": [{"country": "GH"}],
                           "project": {"idea": "Wasserversorgung mit der Partnerstadt in Afrika"}}
BIG = "Wasser " * 750_000  # 5.25 MB of idea
XSS = '<script>alert("xss")</script>'
ATTR = '"><img src=x onerror=alert(1)>'  # breaks out of an attribute value if it is not escaped


@pytest.fixture
def app_client(client: TestClient) -> TestClient:
    """The per-test app, but a server error is answered (500) rather than raised, as for a real client."""
    return TestClient(client.app, raise_server_exceptions=False)


def post_json(client: TestClient, url: str, body: Any, headers: dict[str, str] | None = None) -> Any:
    """The body as ASCII JSON, so that lone surrogates travel as the escapes a client would send."""
    return client.post(url, content=json.dumps(body), headers={"content-type": "application/json", **(headers or {})})


def desk_token(engine: Engine, email: str = "desk@example.org", name: str = "") -> dict[str, str]:
    with Session(engine) as s, s.begin():
        user = accounts.create_user(s, email=email, role="admin", name=name, password=PASSWORD)
        return bearer(accounts.issue_token(s, user, "test"))


# --- oversized -------------------------------------------------------------------------------------------------


def test_a_5_mb_text_is_a_short_422_naming_the_field(app_client: TestClient, engine: Engine) -> None:
    h = desk_token(engine)
    huge_idea = {**PROFILE, "project": {"idea": BIG}}
    cases = [
        ("/api/v1/match", huge_idea, ["body", "project", "idea"]),
        ("/api/v1/profiles", {"name": "Groß", "profile": huge_idea}, ["body", "profile", "project", "idea"]),
        ("/api/v1/profiles", {"name": BIG, "profile": PROFILE}, ["body", "name"]),
        ("/api/v1/cases", {"municipality": "Stadt Groß", "profile": PROFILE, "notes": BIG}, ["body", "notes"]),
        ("/api/v1/subscriptions", {"channel": "atom", "profile": huge_idea}, ["body", "profile", "project", "idea"]),
        ("/api/v1/programmes/wasser-sued/corrections", {"field": "title", "value": "Neu", "reason": BIG},
         ["body", "reason"]),
    ]
    for url, body, loc in cases:
        r = app_client.post(url, json=body, headers=h)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc, (url, r.status_code)
        assert len(r.content) < 5_000, "the 422 must not repeat the 5 MB"
    csrf = login(app_client, "desk@example.org")
    form = {"applicant_type": "kommune", "municipality": "Stadt Groß", "csrf_token": csrf}
    for url in ("/match", "/cases"):  # a form field over 1 MB is refused while the form is read
        page = app_client.post(url, data={**form, "idea": BIG})
        assert page.status_code == 400 and "Ein Feld ist zu lang" in page.text, (url, page.status_code)
        page = app_client.post(url, data={**form, "idea": "Wasser " * 100_000})  # 700 kB: the field's own limit
        assert page.status_code == 422 and "Bitte prüfen Sie das Feld „Projektidee“" in page.text, url
        message = page.text.split('role="alert">', 1)[1].split("</p>", 1)[0]
        assert len(message) < 300, "the message quotes only the start of the text"
    assert len(cases) + 4 == 10  # inputs tried


# --- deeply nested JSON ----------------------------------------------------------------------------------------


def nested(depth: int, inner: str = "1") -> str:
    return '{"a": ' * depth + inner + "}" * depth


def test_deeply_nested_json_is_a_4xx_not_a_500(app_client: TestClient, engine: Engine) -> None:
    h = desk_token(engine)
    deep_list, deep_object = "[" * 10_000 + "]" * 10_000, nested(10_000)
    profile = json.dumps(PROFILE)
    bodies = {
        "/api/v1/match": [deep_list, deep_object, profile[:-1] + f', "extra": {nested(900)}}}'],
        "/api/v1/profiles": [deep_list, f'{{"name": "Tief", "profile": {deep_object}}}'],
        "/api/v1/cases": [deep_object, f'{{"municipality": "Stadt", "profile": {profile}, "notes": {deep_list}}}'],
        "/api/v1/subscriptions": [f'{{"channel": "atom", "profile": {profile}, "exclude_words": {deep_list}}}'],
        "/api/v1/programmes/wasser-sued/corrections": [
            f'{{"field": "rules.funding_rate", "reason": "tief", "value": {value}}}'
            for value in (deep_list, deep_object, nested(900), "[" * 900 + "]" * 900)],
    }
    tried = 0
    for url, variants in bodies.items():
        for body in variants:
            r = app_client.post(url, content=body, headers={"content-type": "application/json", **h})
            assert 400 <= r.status_code < 500, (url, body[:40], r.status_code, r.text[:200])
            tried += 1
    assert tried == 12


# --- odd Unicode -----------------------------------------------------------------------------------------------

ODD = {
    "NUL": "Wasser\x00Projekt",
    "lone high surrogate": "Wasser \ud800",
    "lone low surrogate": "\udfff Wasser",
    "RTL override": "Wasser \u202egnuroslrev\u202c",
    "bidi isolates": "\u2067مياه\u2069 Wasser",
    "zero-width": "Was\u200bser\u200d\u2060\ufeff",
    "emoji": "Wasser 💧🇬🇭👩🏽‍🌾",
    "combining marks": "Wasse" + "r\u0301\u0308" * 20,
    "controls": "Wasser\x07\x1b[31m\x7f",
    "line separators": "Wasser\u2028\u2029Projekt",
    "noncharacters": "Wasser \ufffe\uffff\U0010ffff",
    "private use": "Wasser \ue000\U000f0000",
}
REFUSED = {"NUL", "lone high surrogate", "lone low surrogate"}  # PostgreSQL stores no NUL; UTF-8 has no surrogates


def odd_requests(text: str, n: int) -> list[tuple[str, dict[str, Any], list[Any]]]:
    """(url, body, where the odd text sits) for each place a person types text into the API."""
    idea = {**PROFILE, "project": {"idea": text}}
    named = {**PROFILE, "applicant": {"type": "kommune", "name": text}, "partners": [{"country": "GH", "name": text}]}
    return [
        ("/api/v1/match", idea, ["body", "project", "idea"]),
        ("/api/v1/match", named, ["body", "applicant", "name"]),
        ("/api/v1/profiles", {"name": f"{n} {text}", "profile": PROFILE}, ["body", "name"]),
        ("/api/v1/profiles", {"name": f"Idee {n}", "profile": idea}, ["body", "profile", "project", "idea"]),
        ("/api/v1/cases", {"municipality": text, "profile": named}, ["body", "municipality"]),
        ("/api/v1/cases", {"municipality": "Stadt", "profile": PROFILE, "notes": text}, ["body", "notes"]),
        ("/api/v1/programmes/wasser-sued/corrections", {"field": "summary", "value": f"{text} " * 4, "reason": text},
         ["body", "value"]),
        ("/api/v1/subscriptions", {"channel": "atom", "profile": idea, "exclude_words": [text]},
         ["body", "profile", "project", "idea"]),
    ]


def test_odd_unicode_is_stored_or_a_422_naming_the_field(app_client: TestClient, engine: Engine) -> None:
    h = desk_token(engine)
    tried = 0
    for n, (label, text) in enumerate(ODD.items()):
        for url, body, loc in odd_requests(text, n):
            r = post_json(app_client, url, body, h)
            tried += 1
            if label in REFUSED:
                assert r.status_code == 422, (label, url, r.status_code, r.text[:300])
                assert r.json()["detail"][0]["loc"][: len(loc)] in (loc, loc[:-1] + ["reason"]), (label, url, r.text)
                continue
            assert r.status_code in (200, 201), (label, url, r.status_code, r.text[:300])
            if url == "/api/v1/profiles":  # stored as sent, read back the same
                assert app_client.get(f"/api/v1/profiles/{r.json()['id']}", headers=h).json()["profile"] == \
                    r.json()["profile"]
            if url == "/api/v1/cases":
                assert app_client.get(f"/cases/{r.json()['id']}", headers=h).status_code == 200
    assert app_client.get("/corrections", headers=h).status_code == 200
    assert app_client.get("/audit", headers=h).status_code == 200
    assert tried == len(ODD) * 8 == 96


def test_nan_and_infinity_are_a_422_naming_the_field(app_client: TestClient, engine: Engine) -> None:
    """Python's JSON parser reads NaN and Infinity (not JSON); the 422 repeating them must still be JSON."""
    h = desk_token(engine)
    tried = 0
    for constant in ("NaN", "Infinity", "-Infinity", "1e999"):
        for field in ("budget_eur", "duration_months", "participants"):
            body = f'{{"applicant": {{"type": "kommune"}}, "project": {{"idea": "Wasser", "{field}": {constant}}}}}'
            for url, body_of in (("/api/v1/match", body), ("/api/v1/profiles", f'{{"name": "N", "profile": {body}}}')):
                r = app_client.post(url, content=body_of, headers={"content-type": "application/json", **h})
                assert r.status_code == 422 and r.json()["detail"][0]["loc"][-1] == field, (constant, url, r.text)
                tried += 1
    assert tried == 24


def test_nul_in_query_path_and_form_is_a_422(app_client: TestClient, engine: Engine) -> None:
    h = desk_token(engine)
    api = [("/api/v1/programmes?q=Wasser%00", ["query", "q"]),
           ("/api/v1/programmes?partner_country=G%00H", ["query", "partner_country"]),
           ("/api/v1/programmes/wasser%00sued", ["path", "programme_id"]),
           ("/api/v1/programmes/wasser%00sued/corrections", ["path", "programme_id"])]
    for url, loc in api:
        r = app_client.get(url, headers=h)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == loc, (url, r.text)
    pages = ["/?q=%00", "/programme/wasser%00sued", "/audit?actor=a%00b"]
    for url in pages:
        page = app_client.get(url, headers=h)
        assert page.status_code == 422 and "Bitte prüfen Sie" in page.text, (url, page.status_code)
    csrf = app_client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    r = app_client.post("/login", data={"email": "desk\x00@example.org", "password": "x", "csrf_token": csrf})
    assert r.status_code == 422
    assert len(api) + len(pages) + 1 == 8  # inputs tried


# --- HTML and script in stored fields --------------------------------------------------------------------------


def assert_escaped(html: str, where: str) -> None:
    assert XSS not in html and "<img src=x onerror" not in html, f"unescaped markup on {where}"
    assert "&lt;script&gt;alert(" in html, f"the stored text is missing on {where}"


def test_html_in_stored_fields_is_shown_escaped_on_every_desk_page(app_client: TestClient, engine: Engine) -> None:
    h = desk_token(engine, name=XSS)
    html_profile = {"applicant": {"type": "kommune", "name": XSS}, "partners": [{"country": "GH", "name": ATTR}],
                    "project": {"idea": f"Wasser {XSS} {ATTR}"}}
    case = post_json(app_client, "/api/v1/cases",
                     {"municipality": XSS, "profile": html_profile, "notes": ATTR + XSS}, h).json()
    item = post_json(app_client, f"/api/v1/cases/{case['id']}/shortlist",
                     {"programme_id": "wasser-sued", "note": ATTR + XSS}, h).json()
    app_client.patch(f"/api/v1/cases/{case['id']}", json={"notes": f"neu {XSS}"}, headers=h)
    post_json(app_client, f"/api/v1/cases/{case['id']}/shortlist/{item['id']}", {"status": "beantragt"}, h)
    title = post_json(app_client, "/api/v1/programmes/wasser-sued/corrections",
                      {"field": "title", "value": f"Wasser {XSS}", "reason": f"Quelle {XSS} {ATTR}"}, h)
    post_json(app_client, f"/api/v1/corrections/{title.json()['id']}/review", {"note": ATTR + XSS}, h)
    post_json(app_client, "/api/v1/programmes/jugend-frankreich/corrections",
              {"field": "themes", "value": [XSS, ATTR], "reason": "Themen ergänzt"}, h)
    post_json(app_client, "/api/v1/profiles", {"name": f"Profil {XSS}", "profile": html_profile}, h)
    sub = post_json(app_client, "/api/v1/subscriptions",
                    {"channel": "atom", "profile": html_profile, "exclude_words": [XSS, ATTR]}, h).json()
    stored = 10  # inputs with markup stored above

    pages = [f"/cases/{case['id']}", "/cases", "/programme/wasser-sued", "/programme/jugend-frankreich",
             "/?q=Wasser", "/corrections", "/kalender", f"/newsletter/data/{sub['token']}",
             f"/cases/{case['id']}/bericht"]
    for url in pages:
        page = app_client.get(url, headers=h)
        assert page.status_code == 200, url
        assert_escaped(page.text, url)
    audit = app_client.get("/audit", headers=h).text  # changes are shown as JSON, escaped by tojson
    assert XSS not in audit and "\\u003cscript\\u003e" in audit
    match = app_client.post("/match", data={"idea": f"Wasser {XSS}", "applicant_type": "kommune",
                                            "partner_country": "Ghana"}, headers=h)
    assert match.status_code == 200
    assert_escaped(match.text, "/match")
    make_user(engine, "koord@example.org", "coordinator")
    login(app_client, "desk@example.org")  # the page header shows the logged-in adviser's name
    assert_escaped(app_client.get("/").text, "/ (logged in)")
    assert stored + len(pages) + 3 == 22  # inputs and pages tried


def test_a_stored_javascript_url_never_becomes_a_link(app_client: TestClient, engine: Engine) -> None:
    h = desk_token(engine)
    evil = ["javascript:alert(document.cookie)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>"]
    evidence = {f"k{i}": {"quote": "Ein Zitat aus der Richtlinie.", "url": u} for i, u in enumerate(evil)}
    for field, value in (("evidence", evidence), ("source_urls", evil)):
        r = post_json(app_client, "/api/v1/programmes/wasser-sued/corrections",
                      {"field": field, "value": value, "reason": "Quellen"}, h)
        assert r.status_code == 201, r.text
    profile = {**PROFILE, "project": {"idea": "Wasser für die Partnerstadt"}}
    pages = [app_client.get("/programme/wasser-sued").text,
             app_client.post("/api/v1/match/export?format=html", json=profile).text,
             app_client.post("/match", data={"idea": "Wasser", "applicant_type": "kommune",
                                             "partner_country": "Ghana"}).text]
    for html in pages:
        assert 'href="javascript:' not in html.lower() and 'href=" javascript:' not in html.lower()
        assert 'href="data:' not in html
    assert app_client.post("/api/v1/match/export?format=pdf", json=profile).status_code == 200
    assert len(evil) * 2 + len(pages) == 9  # inputs and pages tried
