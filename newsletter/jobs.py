"""The newsletter job: digest every due subscription, then deliver; run after each crawl and from the CLI."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from catalog.models import utcnow
from config.settings import Settings
from matcher.profile import Profile
from matcher.runtime import MatchRuntime
from matcher.service import MatchOptions
from newsletter import deliver, outbox
from newsletter.digest import local_today
from newsletter.models import OutboxMessage, Subscription

log = logging.getLogger(__name__)
# iCalendar subscribers read current deadlines at request time; they get no digests.
DIGEST_CHANNELS = ("email", "webhook", "atom")
PERIOD = {"daily": dt.timedelta(hours=23), "weekly": dt.timedelta(days=7) - dt.timedelta(hours=1)}


@dataclass
class RunReport:
    planned: list[outbox.Planned] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)  # dry run: queued messages that would go out
    delivery: deliver.DeliveryReport | None = None


def is_due(frequency: str, last_digest_at: dt.datetime | None, now: dt.datetime) -> bool:
    """after_crawl: every run; daily/weekly: once the period has passed (an hour's slack for drifting crawls)."""
    if last_digest_at is None or frequency not in PERIOD:
        return True
    return now - last_digest_at >= PERIOD[frequency]


def due_subscriptions(engine: Engine, now: dt.datetime) -> list[Subscription]:
    with Session(engine) as s:
        subs = s.exec(select(Subscription).where(col(Subscription.status) == "active",
                                                 col(Subscription.channel).in_(DIGEST_CHANNELS))
                      .order_by(col(Subscription.id))).all()
        return [x for x in subs if is_due(x.frequency, x.last_digest_at, now)]


def compute_digests(engine: Engine, settings: Settings, runtime: MatchRuntime, *, now: dt.datetime,
                    dry_run: bool = False) -> list[outbox.Planned]:
    # The watermark is read before the index: the index is then at least as new as the events digested.
    cap = outbox.max_event_id(engine)
    programmes = {p.id: p for p in runtime.index().programmes}
    planned = []
    for sub in due_subscriptions(engine, now):
        assert sub.id is not None
        try:
            profile = Profile.model_validate(sub.profile)
            options = MatchOptions(top=settings.newsletter_top, only_eligible=sub.only_eligible, today=local_today(now))
            matches = runtime.match(profile, options)["matches"]
            result = outbox.commit_digest(engine, settings, subscription_id=sub.id, seq=sub.digest_seq,
                                          matches=matches, programmes=programmes, cap=cap, now=now, dry_run=dry_run)
        except Exception:  # one broken subscription must not stop everyone else's digest
            log.exception("newsletter digest for subscription %s failed", sub.id)
            continue
        if result is not None:
            planned.append(result)
    return planned


def pending_messages(engine: Engine) -> list[dict[str, Any]]:
    with Session(engine) as s:
        rows = s.exec(select(OutboxMessage).where(col(OutboxMessage.status).in_(outbox.READY))
                      .order_by(col(OutboxMessage.id)))
        return [{"id": m.id, "subscription_id": m.subscription_id, "kind": m.kind, "channel": m.channel,
                 "to": m.payload.get("to") or m.payload.get("url"), "subject": m.payload.get("subject"),
                 "attempts": m.attempts} for m in rows]


def run_newsletter(engine: Engine, settings: Settings, runtime: MatchRuntime, *, dry_run: bool = False,
                   now: dt.datetime | None = None, sleep: Callable[[float], None] = time.sleep) -> RunReport:
    """Digest all due subscriptions, then deliver everything due. ``dry_run`` writes and sends nothing."""
    start = now or utcnow()
    report = RunReport(planned=compute_digests(engine, settings, runtime, now=start, dry_run=dry_run))
    if dry_run:
        report.pending = pending_messages(engine)
        return report
    t0 = time.monotonic()
    report.delivery = deliver.deliver_pending(
        engine, settings, clock=lambda: start + dt.timedelta(seconds=time.monotonic() - t0), sleep=sleep)
    return report


_runtimes: dict[int, MatchRuntime] = {}


def after_crawl(engine: Engine, settings: Settings) -> None:
    """The worker's hook; the matcher (and its model) is loaded once per process and engine."""
    try:
        runtime = _runtimes.get(id(engine))
        if runtime is None:
            runtime = _runtimes[id(engine)] = MatchRuntime(engine, settings)
        report = run_newsletter(engine, settings, runtime)
        log.info("newsletter: %d digests, delivery %s", len(report.planned),
                 dict(report.delivery.statuses) if report.delivery else {})
    except Exception:  # the worker keeps crawling even if the newsletter fails
        log.exception("newsletter run failed")


DAILY_CRON = "0 6 * * *"  # 07:00 in Germany in winter (UTC)


def register() -> None:
    """Run the newsletter after every crawl round and each morning (called at worker start; idempotent)."""
    from crawlers.worker import AFTER_CRAWL, SCHEDULED

    if after_crawl not in AFTER_CRAWL:
        AFTER_CRAWL.append(after_crawl)
    if (DAILY_CRON, after_crawl) not in SCHEDULED:
        # Daily and weekly subscribers get their digest in the morning even when no crawl ran.
        SCHEDULED.append((DAILY_CRON, after_crawl))
