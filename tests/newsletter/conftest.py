"""Real servers on loopback for the newsletter: an aiosmtpd SMTP server and an HTTP server receiving webhooks."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlmodel import Session

from api.main import create_app
from catalog import store
from catalog.models import utcnow
from config.settings import Settings
from matcher.embed import FakeEmbedder
from matcher.runtime import MatchRuntime
from newsletter import subscribe as subs
from newsletter.digest import local_today
from newsletter.models import Subscription
from tests.factories import profile, programme
from tests.processes import free_port

TODAY = local_today(utcnow())


class Inbox:
    """aiosmtpd handler: keeps every accepted message; ``rcpt_replies`` answer RCPT for chosen addresses."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_replies: dict[str, str] = {}
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if reply := self.rcpt_replies.get(address):
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Hooks:
    """What the webhook server received; ``replies[path]`` lists status codes to answer in turn (then 200)."""

    port: int
    hits: list[Hit] = field(default_factory=list)
    replies: dict[str, list[int]] = field(default_factory=dict)

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def hooks() -> Iterator[Hooks]:
    state = Hooks(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            state.hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            queue = state.replies.get(self.path) or []
            code = queue.pop(0) if queue else 200
            self.send_response(code)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def nl_settings(settings: Settings, smtp: tuple[Inbox, int]) -> Settings:
    return settings.model_copy(update={
        "smtp_host": "127.0.0.1", "smtp_port": smtp[1], "public_base_url": "http://testserver",
        "webhook_allow_hosts": ["127.0.0.1"], "newsletter_sending_lease_s": 0.0, "smtp_timeout_s": 10.0,
    })


@pytest.fixture
def runtime(engine, nl_settings: Settings) -> MatchRuntime:  # type: ignore[no-untyped-def]
    return MatchRuntime(engine, nl_settings, embedder=FakeEmbedder())


@pytest.fixture
def client(runtime: MatchRuntime, nl_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(nl_settings, runtime)) as c:
        yield c


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


CATALOGUE = [
    dict(id="wasser-sued", title="Partnerschaftsprojekte Wasser Globaler Süden", level="bund",
         summary="Zuschüsse für Wasserprojekte von Kommunen mit Partnerkommunen in Afrika.",
         url="https://example.org/wasser",
         rules={"applicant_types": ["kommune"], "partner_rule": {"required": True, "lists": ["DAC"]},
                "funding_rate": 0.9, "grant_min_eur": 50000, "grant_max_eur": 250000},
         deadlines=[{"kind": "application", "date": day(60)}]),
    dict(id="klima-zwei-stufen", title="Klimapartnerschaften mit Projektskizze", level="bund",
         summary="Kommunale Klimapartnerschaften mit Wasser- und Energieprojekten im Globalen Süden.",
         url="https://example.org/klima",
         rules={"applicant_types": ["kommune", "landkreis"], "funding_rate": 0.75, "grant_max_eur": 100000},
         deadlines=[{"kind": "interest", "date": day(30)}, {"kind": "application", "date": day(90)}]),
    dict(id="jugend-frankreich", title="Deutsch-französische Jugendbegegnungen", level="jugendwerk",
         summary="Begegnungen junger Menschen aus deutschen und französischen Partnerstädten.",
         url="https://example.org/jugend",
         rules={"applicant_types": ["verein", "kommune"], "partner_rule": {"required": True, "countries": ["FR"]}}),
]


def load_catalogue(engine, *programmes: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s, s.begin():
        for data in programmes or CATALOGUE:
            store.upsert_programme(s, programme(**data))


def change(engine, pid: str, **updates: Any) -> None:  # type: ignore[no-untyped-def]
    data = next(dict(d) for d in CATALOGUE if d["id"] == pid)
    data.update(updates)
    load_catalogue(engine, data)


def add_subscription(engine, settings: Settings, *, channel: str = "email", address: str | None = "a@example.org",
                     active: bool = True, **fields: Any) -> Subscription:  # type: ignore[no-untyped-def]
    """A subscription as the API creates it (confirmation message included), optionally already confirmed."""
    data = subs.SubscriptionIn(channel=channel, address=address, profile=profile(), frequency="after_crawl",
                               **fields)
    with Session(engine) as s, s.begin():
        sub, msg = subs.create(s, settings, data, now=utcnow())
        if active:
            sub.status = "active"
            if msg is not None:
                s.delete(msg)
        s.flush()
        s.expunge(sub)
    return sub
