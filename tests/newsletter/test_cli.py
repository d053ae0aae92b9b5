"""`foerdermatch newsletter run [--dry-run]` and `foerdermatch newsletter subscribers`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

import matcher.runtime
from cli.main import main
from config.settings import get_settings
from matcher.embed import FakeEmbedder
from newsletter.jobs import after_crawl, register
from newsletter.models import OutboxMessage, Subscription
from tests.newsletter.conftest import add_subscription, load_catalogue


@pytest.fixture
def cli_env(db_url, tmp_path, smtp, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    for name, value in {"DATABASE_URL": db_url, "DATA_DIR": str(tmp_path), "SMTP_PORT": str(smtp[1]),
                        "PUBLIC_BASE_URL": "https://foerdermatch.example"}.items():
        monkeypatch.setenv(f"FOERDERMATCH_{name}", value)
    real = matcher.runtime.MatchRuntime
    monkeypatch.setattr(matcher.runtime, "MatchRuntime", lambda e, s: real(e, s, embedder=FakeEmbedder()))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_dry_run_writes_and_sends_nothing_then_run_sends(cli_env, engine, nl_settings, smtp, capsys) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    add_subscription(engine, nl_settings, address="cli@example.org")
    load_catalogue(engine)
    assert main(["newsletter", "run", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would send digest to subscription" in out and "(email cli@example.org): 3 items" in out
    with Session(engine) as s:
        assert s.exec(select(OutboxMessage)).all() == []
        assert s.exec(select(Subscription)).one().last_event_id is None
    assert inbox.messages == []
    assert main(["newsletter", "run"]) == 0
    assert "1 digests; delivery: 1 sent" in capsys.readouterr().out and len(inbox.messages) == 1
    assert main(["newsletter", "run", "--dry-run"]) == 0
    assert "nothing would be sent" in capsys.readouterr().out
    assert main(["newsletter", "subscribers"]) == 0
    out = capsys.readouterr().out
    assert "cli@example.org" in out and "active" in out and "1 subscriptions" in out


def test_register_hooks_into_the_worker_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from crawlers import worker

    monkeypatch.setattr(worker, "AFTER_CRAWL", [])
    register()
    register()
    assert worker.AFTER_CRAWL == [after_crawl]
