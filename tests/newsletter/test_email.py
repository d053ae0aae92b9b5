"""E-mail end to end against a real SMTP server: double opt-in, digests, a change, nothing twice, unsubscribe."""

from __future__ import annotations

import re
from email.message import EmailMessage
from urllib.parse import urlsplit

from sqlmodel import Session, select

from newsletter.jobs import run_newsletter
from newsletter.models import Feedback, OutboxMessage, SentItem, Subscription
from tests.factories import profile
from tests.newsletter.conftest import CATALOGUE, change, day, load_catalogue

ADDRESS = "partnerschaft@musterstadt.example"


def parts(msg: EmailMessage) -> tuple[str, str]:
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def path(url: str) -> str:
    u = urlsplit(url)
    return u.path + (f"?{u.query}" if u.query else "")


def subscribe(client, **extra) -> dict:  # type: ignore[no-untyped-def]
    body = {"channel": "email", "address": ADDRESS, "frequency": "after_crawl",
            "profile": profile().model_dump(mode="json", exclude_none=True), **extra}
    r = client.post("/api/v1/subscriptions", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_subscribe_confirm_digest_change_then_nothing(client, engine, runtime, nl_settings, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    answer = subscribe(client)
    assert answer["status"] == "pending_confirmation" and "token" not in answer

    # Double opt-in: the confirmation mail is all that is sent before the link is opened.
    [confirm_mail] = inbox.to(ADDRESS)
    assert "bestätigen" in confirm_mail["Subject"]
    text, html = parts(confirm_mail)
    link = re.search(r"http://testserver/newsletter/confirm/\S+", text).group(0)
    assert link in html
    load_catalogue(engine)
    run_newsletter(engine, nl_settings, runtime)
    assert len(inbox.messages) == 1  # catalogue loaded, but not confirmed: no digest
    assert client.get(path(link)).status_code == 200
    with Session(engine) as s:
        assert s.exec(select(Subscription)).one().status == "active"
    assert client.get(path(link[:-3] + "xyz")).status_code == 400  # a forged signature is refused

    # First run after confirming: every match, with verdict, Eigenanteil, deadline, link, feedback links.
    run_newsletter(engine, nl_settings, runtime)
    [digest] = inbox.to(ADDRESS)[1:]
    text, html = parts(digest)
    for p in CATALOGUE:
        assert p["title"] in text and p["url"] in html
    assert "Förderfähigkeit: förderfähig" in text and "12.000 Euro" in text  # 120,000 budget at 90 %
    assert day(60)[8:10] + "." + day(60)[5:7] + "." + day(60)[:4] in text
    with Session(engine) as s:
        msg = s.exec(select(OutboxMessage).where(OutboxMessage.kind == "digest")).one()
        sub = s.exec(select(Subscription)).one()
        items = s.exec(select(SentItem)).all()
    assert digest["Message-ID"] == msg.message_id and msg.status == "sent"
    assert digest["List-Unsubscribe"] == f"<http://testserver/newsletter/unsubscribe/{sub.token}>"
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert f"http://testserver/newsletter/feedback/{sub.token}/wasser-sued?value=passt_nicht" in html
    assert {i.programme_id for i in items if i.kind == "new"} == {p["id"] for p in CATALOGUE}

    # A deadline changes: the next digest says exactly that, nothing else.
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(40)}])
    run_newsletter(engine, nl_settings, runtime)
    [update] = inbox.to(ADDRESS)[2:]
    text, _ = parts(update)
    assert "Geändert: Partnerschaftsprojekte Wasser Globaler Süden" in text
    assert f"Fristen: Antrag {day(40)[8:10]}.{day(40)[5:7]}.{day(40)[:4]}" in text
    assert "Klimapartnerschaften" not in text and "Jugendbegegnungen" not in text
    assert update["Message-ID"] != digest["Message-ID"]

    # Third run: nothing new, nothing sent.
    run_newsletter(engine, nl_settings, runtime)
    assert len(inbox.to(ADDRESS)) == 3


def test_feedback_passt_nicht_hides_the_programme(client, engine, runtime, nl_settings, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    subscribe(client)
    client.get(path(re.search(r"http://testserver/newsletter/confirm/\S+", parts(inbox.messages[0])[0]).group(0)))
    load_catalogue(engine)
    run_newsletter(engine, nl_settings, runtime)
    _, html = parts(inbox.messages[1])
    link = re.search(r'href="(http://testserver/newsletter/feedback/[^"]+/wasser-sued\?value=passt_nicht)"',
                     html).group(1)
    page = client.get(path(link))  # opening the link alone records nothing (mail scanners open links)
    assert page.status_code == 200 and "passt nicht" in page.text
    with Session(engine) as s:
        assert s.exec(select(Feedback)).all() == []
    assert client.post(urlsplit(link).path, data={"value": "passt_nicht"}).status_code == 200
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(41)}])
    change(engine, "klima-zwei-stufen", rules={"funding_rate": 0.8})
    run_newsletter(engine, nl_settings, runtime)
    text, _ = parts(inbox.messages[2])
    assert "Klimapartnerschaften" in text and "Wasser Globaler Süden" not in text


def test_one_click_unsubscribe_stops_everything(client, engine, runtime, nl_settings, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    subscribe(client)
    client.get(path(re.search(r"http://testserver/newsletter/confirm/\S+", parts(inbox.messages[0])[0]).group(0)))
    load_catalogue(engine)
    run_newsletter(engine, nl_settings, runtime)
    target = inbox.messages[1]["List-Unsubscribe"].strip("<>")
    assert "abbestellen" in client.get(path(target)).text  # GET shows a page and changes nothing
    r = client.post(path(target), content=b"List-Unsubscribe=One-Click",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200
    with Session(engine) as s:
        assert s.exec(select(Subscription)).one().status == "unsubscribed"
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(42)}])
    run_newsletter(engine, nl_settings, runtime)
    assert len(inbox.messages) == 2


def test_english_subscription_and_validation_errors_name_the_field(client, engine, runtime, nl_settings,
                                                                    smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    subscribe(client, language="en")
    assert inbox.messages[0]["Subject"] == "foerdermatch: please confirm your subscription"
    bad = profile().model_dump(mode="json", exclude_none=True)
    bad["applicant"]["type"] = "gemeinderat"
    r = client.post("/api/v1/subscriptions", json={"channel": "email", "address": ADDRESS, "profile": bad})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "profile", "applicant", "type"]
    r = client.post("/api/v1/subscriptions", json={"channel": "email", "address": "kein-at-zeichen",
                                                   "profile": profile().model_dump(mode="json", exclude_none=True)})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "address"]
    r = client.post("/api/v1/subscriptions", json={"channel": "webhook", "address": "http://10.1.2.3/hook",
                                                   "profile": profile().model_dump(mode="json", exclude_none=True)})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "address"]
    assert "privaten" in r.json()["detail"][0]["msg"]


def test_my_data_shows_and_deletes_everything(client, engine, runtime, nl_settings, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    subscribe(client, exclude_words=["Sport"])
    client.get(path(re.search(r"http://testserver/newsletter/confirm/\S+", parts(inbox.messages[0])[0]).group(0)))
    load_catalogue(engine)
    run_newsletter(engine, nl_settings, runtime)
    token = re.search(r"/newsletter/data/([\w-]+)", parts(inbox.messages[1])[0]).group(1)
    data = client.get(f"/api/v1/subscriptions/{token}").json()
    assert data["address"] == ADDRESS and data["exclude_words"] == ["Sport"]
    assert data["profile"]["applicant"]["type"] == "kommune" and len(data["sent_items"]) >= 3
    assert {m["kind"] for m in data["messages"]} == {"confirm", "digest"}
    page = client.get(f"/newsletter/data/{token}")
    assert page.status_code == 200 and ADDRESS in page.text and "löschen" in page.text
    assert client.post(f"/newsletter/data/{token}/delete").status_code == 200
    assert client.get(f"/api/v1/subscriptions/{token}").status_code == 404
    with Session(engine) as s:
        for table in (Subscription, SentItem, OutboxMessage, Feedback):
            assert s.exec(select(table)).all() == []
