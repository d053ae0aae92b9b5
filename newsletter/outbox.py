"""The outbox: digests written with their SentItems in one transaction, claimed and settled by senders.

Exactly-once, step by step (each step is one committed transaction, so a crash between two leaves a known state):
1. ``commit_digest``: a compare-and-set on ``Subscription.digest_seq`` admits one runner; the digest, its
   OutboxMessage and its SentItem rows and the event watermark commit together - a digest is never computed
   twice, and never half-recorded.
2. ``claim_next``: pending -> sending (PostgreSQL ``FOR UPDATE SKIP LOCKED``; SQLite one conditional UPDATE),
   with a Message-ID stored on first claim and kept for every retry.
3. ``mark_transmitting``: committed just before the final bytes go out (SMTP end of DATA, the webhook POST).
4. ``record_outcome``: sent / failed (retry with backoff) / dead / unknown.
After a crash, ``recover_stuck`` settles messages claimed longer than the lease ago: never transmitted ->
pending again (provably not received, so re-sending cannot duplicate); transmitting e-mails -> "unknown",
counted as delivered and NOT re-sent (at-most-once in that one window: if the crash fell before the server
took the message, it is lost, and the desk sees it in ``delivery_problems``); transmitting webhooks -> pending,
re-sent with the same ``X-Foerdermatch-Delivery`` id (at-least-once; receivers deduplicate by that id).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any, cast

from sqlalchemy import func, update
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session, col, select

from catalog.models import ProgrammeEvent
from catalog.schema import ProgrammeIn
from config.settings import Settings
from newsletter import render
from newsletter.digest import Event, Filters, Sent, build_digest, local_today, suppressed_by_feedback
from newsletter.models import Feedback, OutboxMessage, SentItem, Subscription

READY = ("pending", "failed")


@dataclass(frozen=True)
class Outcome:
    kind: str  # sent | temporary | permanent | unknown | cancelled
    error: str | None = None


@dataclass(frozen=True)
class Claim:
    id: int
    kind: str
    channel: str
    message_id: str
    payload: dict[str, Any]
    attempts: int
    subscription_status: str
    hmac_secret: str | None


@dataclass(frozen=True)
class Planned:
    subscription_id: int
    channel: str
    address: str | None
    items: int
    summary: str


def max_event_id(engine: Engine) -> int | None:
    with Session(engine) as s:
        return s.exec(select(func.max(ProgrammeEvent.id))).one()


def _run(s: Session, statement: Any) -> int:
    """Execute an UPDATE and return how many rows it changed."""
    return cast(CursorResult[Any], s.execute(statement)).rowcount


def _take_turn(s: Session, subscription_id: int, seq: int) -> bool:
    """Compare-and-set on digest_seq; as the first statement it also takes the write lock on SQLite."""
    turn = update(Subscription).where(col(Subscription.id) == subscription_id, col(Subscription.digest_seq) == seq,
                                      col(Subscription.status) == "active")
    return _run(s, turn.values(digest_seq=seq + 1)) == 1


def _inputs(s: Session, sub: Subscription, cap: int | None) -> tuple[list[Event], list[Sent], set[str]]:
    events = s.exec(select(ProgrammeEvent).where(col(ProgrammeEvent.id) > (sub.last_event_id or 0),
                                                 col(ProgrammeEvent.id) <= (cap or 0))
                    .order_by(col(ProgrammeEvent.id)))
    sent = s.exec(select(SentItem).where(SentItem.subscription_id == sub.id).order_by(col(SentItem.id)))
    feedback = s.exec(select(Feedback.programme_id, Feedback.value).where(Feedback.subscription_id == sub.id)
                      .order_by(col(Feedback.id)))
    return ([Event(e.programme_id, e.kind, tuple(e.fields)) for e in events],
            [Sent(x.programme_id, x.kind, x.fingerprint) for x in sent], suppressed_by_feedback(feedback.all()))


def _payload(settings: Settings, sub: Subscription, digest: Any, now: dt.datetime) -> dict[str, Any]:
    if sub.channel == "email":
        return render.digest_mail(settings, to=sub.address or "", token=sub.token, language=sub.language, digest=digest)
    if sub.channel == "webhook":
        return render.digest_webhook(settings, url=sub.address or "", token=sub.token, subscription_id=sub.id or 0,
                                     digest=digest, created=now)
    return render.feed_entries(settings, token=sub.token, digest=digest, created=now)


def commit_digest(engine: Engine, settings: Settings, *, subscription_id: int, seq: int,
                  matches: Sequence[dict[str, Any]], programmes: dict[str, ProgrammeIn], cap: int | None,
                  now: dt.datetime, dry_run: bool = False) -> Planned | None:
    """Digest one subscription and record message + SentItems + watermark atomically (rolled back if dry_run)."""
    with Session(engine) as s:
        tx = s.begin()
        if not _take_turn(s, subscription_id, seq):
            tx.rollback()
            return None
        sub = s.get(Subscription, subscription_id)
        assert sub is not None and sub.id is not None
        events, sent, suppressed = _inputs(s, sub, cap)
        digest = build_digest(
            matches=matches, programmes=programmes, events=events, sent=sent, suppressed=suppressed,
            filters=Filters(sub.min_score, sub.only_eligible, tuple(sub.exclude_words)), today=local_today(now),
            reminder_days=settings.newsletter_reminder_days, first=sub.last_event_id is None)
        planned = None
        if digest is not None:
            payload = _payload(settings, sub, digest, now)
            published = sub.channel == "atom"  # a feed entry is delivered by being stored
            msg = OutboxMessage(subscription_id=sub.id, kind="digest", channel=sub.channel, payload=payload,
                                status="sent" if published else "pending", next_attempt_at=now, created_at=now,
                                sent_at=now if published else None)
            s.add(msg)
            s.flush()
            s.add_all([SentItem(subscription_id=sub.id, programme_id=pid, kind=kind, fingerprint=fp,
                                outbox_message_id=msg.id, created_at=now) for pid, kind, fp in digest.records])
            planned = Planned(sub.id, sub.channel, sub.address, len(digest.items), payload.get("subject") or
                              ", ".join(f"{i.kind}:{i.programme_id}" for i in digest.items))
        if cap is not None:
            sub.last_event_id = cap
        sub.last_digest_at = now
        s.add(sub)
        if dry_run:
            tx.rollback()
        else:
            tx.commit()
        return planned


def new_message_id(settings: Settings) -> str:
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "foerdermatch.invalid"
    return f"<{uuid.uuid4().hex}@{domain}>"


def claim_next(engine: Engine, settings: Settings, *, now: dt.datetime, only: int | None = None) -> Claim | None:
    """Take one due message for sending; None when there is none (or another sender was faster)."""
    with Session(engine) as s, s.begin():
        due = select(OutboxMessage.id).where(col(OutboxMessage.status).in_(READY),
                                             col(OutboxMessage.next_attempt_at) <= now)
        if only is not None:
            due = due.where(col(OutboxMessage.id) == only)
        due = due.order_by(col(OutboxMessage.id)).limit(1)
        if s.get_bind().dialect.name == "postgresql":
            pk = s.exec(due.with_for_update(skip_locked=True)).first()
            target = col(OutboxMessage.id) == pk
        else:  # SQLite: the UPDATE is the first statement and writers are serialised; the WHERE re-checks
            target = col(OutboxMessage.id) == due.scalar_subquery()
        claimed = s.execute(update(OutboxMessage).where(target, col(OutboxMessage.status).in_(READY))
                            .values(status="sending", claimed_at=now, transmitting_at=None,
                                    attempts=OutboxMessage.attempts + 1,
                                    message_id=func.coalesce(OutboxMessage.message_id, new_message_id(settings)))
                            .returning(col(OutboxMessage.id))).first()
        if claimed is None:
            return None
        msg = s.get(OutboxMessage, claimed[0])
        assert msg is not None and msg.id is not None and msg.message_id is not None
        sub = s.get(Subscription, msg.subscription_id)
        return Claim(msg.id, msg.kind, msg.channel, msg.message_id, msg.payload, msg.attempts,
                     sub.status if sub else "deleted", sub.hmac_secret if sub else None)


def mark_transmitting(engine: Engine, message_pk: int, *, now: dt.datetime) -> None:
    with Session(engine) as s, s.begin():
        s.execute(update(OutboxMessage).where(col(OutboxMessage.id) == message_pk,
                                              col(OutboxMessage.status) == "sending")
                  .values(transmitting_at=now))


def backoff_s(settings: Settings, attempts: int) -> float:
    return min(settings.newsletter_retry_base_s * 2 ** max(attempts - 1, 0), settings.newsletter_retry_max_s)


def record_outcome(engine: Engine, settings: Settings, message_pk: int, outcome: Outcome, *, now: dt.datetime) -> str:
    """Settle a claimed message; returns its new status. Dead messages count against the subscription."""
    with Session(engine) as s, s.begin():
        msg = s.get(OutboxMessage, message_pk)
        if msg is None or msg.status != "sending":
            return "gone"  # deleted with the subscriber's data meanwhile, or already settled
        sub = s.get(Subscription, msg.subscription_id)
        msg.last_error = outcome.error
        if outcome.kind in ("sent", "unknown"):
            msg.status, msg.sent_at = outcome.kind, now
            if sub is not None and outcome.kind == "sent":
                sub.failure_count = 0
        elif outcome.kind == "temporary" and msg.attempts < settings.newsletter_max_attempts:
            msg.status = "failed"
            msg.next_attempt_at = now + dt.timedelta(seconds=backoff_s(settings, msg.attempts))
        else:
            msg.status = "dead"
            if sub is not None and outcome.kind != "cancelled":
                sub.failure_count += 1
                if sub.failure_count >= settings.newsletter_disable_after and sub.status == "active":
                    sub.status = "disabled"
        s.add(msg)
        if sub is not None:
            s.add(sub)
        return msg.status


def recover_stuck(engine: Engine, settings: Settings, *, now: dt.datetime) -> dict[str, int]:
    """Settle messages a crashed sender left in "sending" (see the module docstring for why so)."""
    stale = now - dt.timedelta(seconds=settings.newsletter_sending_lease_s)
    settle = update(OutboxMessage).where(col(OutboxMessage.status) == "sending",
                                         col(OutboxMessage.claimed_at) <= stale)
    transmitted = col(OutboxMessage.transmitting_at).is_not(None)
    email = col(OutboxMessage.channel) == "email"
    with Session(engine) as s, s.begin():
        unsent = _run(s, settle.where(col(OutboxMessage.transmitting_at).is_(None)).values(
            status="pending", next_attempt_at=now, last_error="Sender abgebrochen vor dem Senden; erneut eingeplant"))
        unknown = _run(s, settle.where(transmitted, email).values(
            status="unknown", sent_at=now, last_error="Sender abgebrochen während der Übergabe an den Mailserver; "
                                                      "Zustellung unbekannt, nicht erneut gesendet"))
        resend = _run(s, settle.where(transmitted, ~email).values(
            status="pending", next_attempt_at=now, transmitting_at=None,
            last_error="Sender abgebrochen während des Webhook-Aufrufs; erneut mit derselben Delivery-ID"))
    return {"requeued": unsent, "unknown": unknown, "resend": resend}


def sends_in_window(engine: Engine, *, now: dt.datetime, window_s: float = 60.0) -> list[dt.datetime]:
    """Claim times within the last window, oldest first: the global rate limit counts these."""
    since = now - dt.timedelta(seconds=window_s)
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage.claimed_at).where(col(OutboxMessage.claimed_at) > since)
                      .order_by(col(OutboxMessage.claimed_at)))
        return [r for r in rows if r is not None]


def delivery_problems(s: Session) -> dict[str, list[dict[str, Any]]]:
    """For the desk: disabled or failing subscriptions, and messages that are dead, unknown or being retried."""
    subs = s.exec(select(Subscription).where((col(Subscription.status) == "disabled")
                                             | (col(Subscription.failure_count) > 0)).order_by(col(Subscription.id)))
    msgs = s.exec(select(OutboxMessage).where(col(OutboxMessage.status).in_(("dead", "unknown", "failed")))
                  .order_by(col(OutboxMessage.id)))
    return {
        "subscriptions": [{"id": x.id, "channel": x.channel, "address": x.address, "status": x.status,
                           "failure_count": x.failure_count} for x in subs],
        "messages": [{"id": m.id, "subscription_id": m.subscription_id, "kind": m.kind, "channel": m.channel,
                      "status": m.status, "attempts": m.attempts, "message_id": m.message_id,
                      "last_error": m.last_error, "next_attempt_at": m.next_attempt_at} for m in msgs],
    }
