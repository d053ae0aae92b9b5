"""The sender: settle what a crashed sender left, keep the global rate limit, claim, send by channel, record.

Exactly-once rests on the outbox's states (see newsletter/outbox.py for the full argument); this loop only
keeps the order claim -> mark_transmitting -> send -> record_outcome, each a committed step of its own.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from catalog.models import utcnow
from config.settings import Settings
from newsletter import mail, outbox, webhook
from newsletter.outbox import Claim, Outcome

log = logging.getLogger(__name__)
WINDOW_S = 60.0


@dataclass
class DeliveryReport:
    statuses: Counter[str] = field(default_factory=Counter)
    recovered: dict[str, int] = field(default_factory=dict)
    waited_s: float = 0.0


def rate_wait_s(settings: Settings, claimed: list[dt.datetime], now: dt.datetime) -> float:
    """Seconds until one more send fits the limit, given the claim times of the last minute (oldest first)."""
    limit = settings.newsletter_rate_per_minute
    if len(claimed) < limit:
        return 0.0
    frees_at = claimed[len(claimed) - limit] + dt.timedelta(seconds=WINDOW_S)
    return max((frees_at - now).total_seconds(), 0.001)


def may_send(claim: Claim) -> bool:
    """Confirmation requests go to pending subscriptions only; everything else to active ones only."""
    wanted = "pending_confirmation" if claim.kind == "confirm" else "active"
    return claim.subscription_status == wanted


def send(engine: Engine, settings: Settings, claim: Claim, clock: Callable[[], dt.datetime]) -> Outcome:
    if not may_send(claim):
        return Outcome("cancelled", f"Abonnement ist {claim.subscription_status}; nicht gesendet")

    def on_transmit() -> None:
        outbox.mark_transmitting(engine, claim.id, now=clock())

    if claim.channel == "email":
        return mail.send_mail(settings, claim.payload, claim.message_id, on_transmit=on_transmit, now=clock())
    if claim.channel == "webhook":
        return webhook.post(settings, claim.payload, claim.message_id, claim.hmac_secret, on_transmit=on_transmit)
    return Outcome("sent")  # feeds are read, not sent


def deliver_pending(engine: Engine, settings: Settings, *, clock: Callable[[], dt.datetime] = utcnow,
                    sleep: Callable[[float], None] = time.sleep, only: int | None = None,
                    wait_for_rate: bool = True) -> DeliveryReport:
    """Send every due message (or just ``only``); without ``wait_for_rate`` stop at the rate limit instead."""
    report = DeliveryReport(recovered=outbox.recover_stuck(engine, settings, now=clock()))
    while True:
        wait = rate_wait_s(settings, outbox.sends_in_window(engine, now=clock(), window_s=WINDOW_S), clock())
        if wait > 0:
            if not wait_for_rate:
                break
            report.waited_s += wait
            sleep(wait)
            continue
        claim = outbox.claim_next(engine, settings, now=clock(), only=only)
        if claim is None:
            break
        outcome = send(engine, settings, claim, clock)
        status = outbox.record_outcome(engine, settings, claim.id, outcome, now=clock())
        report.statuses[status] += 1
        if outcome.error:
            log.warning("message %s (%s) %s: %s", claim.id, claim.channel, status, outcome.error)
    return report
