"""Crash tests: the sending process is SIGKILLed at each step and restarted; nothing lost, nothing twice -
except where newsletter/outbox.py says so (the moment of handing a mail to the server), asserted exactly here."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from newsletter.models import OutboxMessage, SentItem
from tests import processes
from tests.newsletter.conftest import add_subscription, load_catalogue

REPO = Path(__file__).resolve().parents[2]


def run_child(db_url: str, port: int, step: str, tmp: Path) -> str:
    """Start the sender; for a crash step wait until it reports the step, then SIGKILL it."""
    return processes.run_child(["tests.newsletter.crash_child", db_url, str(port), step, str(tmp)], step,
                               tmp / f"child-{step}.err")


def state(engine) -> tuple[list[tuple[str, bool]], int]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        msgs = [(m.status, m.transmitting_at is not None) for m in s.exec(select(OutboxMessage))]
        return msgs, s.exec(select(func.count()).select_from(SentItem)).one()


# step -> (state right after the kill, final status, mails the server holds in the end)
CASES = {
    "after_digest_commit": ([("pending", False)], "sent", 1),
    "after_claim": ([("sending", False)], "sent", 1),
    # Documented at-most-once window: the outcome is unknown, so the mail is not sent again - here it is lost.
    "during_transmission": ([("sending", True)], "unknown", 0),
    # The server has the mail but "sent" was never recorded: settled as unknown, not sent a second time.
    "after_accept": ([("sending", True)], "unknown", 1),
}


@pytest.mark.slow
@pytest.mark.parametrize("step", list(CASES))
def test_email_sender_killed_and_restarted(step, engine, db_url, nl_settings, smtp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    inbox, port = smtp
    add_subscription(engine, nl_settings, address="crash@example.org")
    load_catalogue(engine)
    after_kill, final, mails = CASES[step]
    run_child(db_url, port, step, tmp_path)
    msgs, items = state(engine)
    assert msgs == after_kill and items >= 3
    assert len(inbox.messages) == (1 if step == "after_accept" else 0)
    run_child(db_url, port, "none", tmp_path)  # restart
    run_child(db_url, port, "none", tmp_path)  # and once more: nothing is left to do
    msgs, items_after = state(engine)
    assert [status for status, _ in msgs] == [final] and items_after == items  # one digest, recorded once
    assert len(inbox.messages) == mails
    assert len({m["Message-ID"] for m in inbox.messages}) == mails


@pytest.mark.slow
def test_webhook_killed_after_delivery_is_sent_again_with_the_same_delivery_id(engine, db_url, nl_settings, smtp,
                                                                              hooks, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _, port = smtp
    add_subscription(engine, nl_settings, channel="webhook", address=hooks.url())
    load_catalogue(engine)
    run_child(db_url, port, "after_accept", tmp_path)
    run_child(db_url, port, "none", tmp_path)
    run_child(db_url, port, "none", tmp_path)
    assert [status for status, _ in state(engine)[0]] == ["sent"]
    first, again = hooks.hits  # at-least-once for webhooks; the receiver deduplicates by the delivery id
    assert first.headers["x-foerdermatch-delivery"] == again.headers["x-foerdermatch-delivery"]
    assert first.body == again.body
