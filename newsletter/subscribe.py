"""Subscribing and the subscriber's rights: double opt-in, unsubscribe, feedback, see and delete all own data."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import delete
from sqlmodel import Session, col, func, select

from catalog.models import Programme
from config.settings import Settings
from matcher.profile import Profile
from newsletter import links, render, webhook
from newsletter.models import Feedback, OutboxMessage, SentItem, Subscription

EMAIL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
# Unconfirmed sign-ups per address and day: nobody can flood a stranger's inbox with confirmation requests.
MAX_UNCONFIRMED_PER_DAY = 3


class SubscriptionError(Exception):
    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field, self.message, self.status = field, message, status


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Literal["email", "webhook", "atom", "ical"]
    # validate_default: a left-out address must meet the channel check too (e-mail and webhook require one).
    address: str | None = Field(default=None, max_length=2000, description="e-mail address or webhook URL",
                                validate_default=True)
    profile: Profile
    frequency: Literal["after_crawl", "daily", "weekly"] = "daily"
    min_score: float | None = Field(default=None, ge=0, le=1)
    only_eligible: bool = False
    exclude_words: list[str] = Field(default_factory=list, max_length=50)
    language: Literal["de", "en"] = "de"

    @field_validator("address")
    @classmethod
    def _address_fits_channel(cls, value: str | None, info: ValidationInfo) -> str | None:
        channel = info.data.get("channel")
        if channel in ("atom", "ical"):
            if value:
                raise ValueError("feeds have no address; leave it out")
            return None
        if not value:
            raise ValueError(f"required for channel {channel}")
        if channel == "email" and not EMAIL_RE.fullmatch(value):
            raise ValueError("not a valid e-mail address")
        if channel == "webhook" and not re.match(r"^https?://", value):
            raise ValueError("must be an http(s) URL")
        return value

    @field_validator("exclude_words")
    @classmethod
    def _words(cls, words: list[str]) -> list[str]:
        if any(len(w) > 100 for w in words):
            raise ValueError("each word at most 100 characters")
        return [w.strip() for w in words if w.strip()]


def by_token(s: Session, token: str) -> Subscription | None:
    return s.exec(select(Subscription).where(Subscription.token == token)).first() if token else None


def _confirmation(settings: Settings, sub: Subscription) -> dict[str, Any]:
    assert sub.address is not None and sub.id is not None
    if sub.channel == "email":
        return render.confirm_mail(settings, to=sub.address, token=sub.token, language=sub.language)
    return render.confirm_webhook(settings, url=sub.address, token=sub.token, subscription_id=sub.id)


def create(s: Session, settings: Settings, data: SubscriptionIn, *,
           now: dt.datetime) -> tuple[Subscription, OutboxMessage | None]:
    """A new subscription; e-mail and webhook wait for confirmation (an outbox message), feeds start active."""
    if data.channel == "webhook" and data.address and (problem := webhook.target_problem(settings, data.address)):
        raise SubscriptionError("address", problem)
    if data.channel == "email":
        since = now - dt.timedelta(days=1)
        recent = s.exec(select(func.count()).select_from(Subscription).where(
            Subscription.address == data.address, Subscription.status == "pending_confirmation",
            col(Subscription.created_at) > since)).one()
        if recent >= MAX_UNCONFIRMED_PER_DAY:
            raise SubscriptionError("address", "Für diese Adresse liegen schon mehrere unbestätigte Anmeldungen "
                                               "vor; bitte bestätigen Sie eine davon.", status=429)
    feed = data.channel in ("atom", "ical")
    sub = Subscription(
        channel=data.channel, address=data.address, token=links.new_token(),
        hmac_secret=secrets.token_hex(32) if data.channel == "webhook" else None,
        profile=data.profile.model_dump(mode="json", exclude_none=True), frequency=data.frequency,
        min_score=data.min_score, only_eligible=data.only_eligible, exclude_words=data.exclude_words,
        language=data.language, status="active" if feed else "pending_confirmation", created_at=now,
        confirmed_at=now if feed else None,
    )
    s.add(sub)
    s.flush()
    if feed:
        return sub, None
    assert sub.id is not None
    msg = OutboxMessage(subscription_id=sub.id, kind="confirm", channel=sub.channel,
                        payload=_confirmation(settings, sub), next_attempt_at=now, created_at=now)
    s.add(msg)
    s.flush()
    return sub, msg


def confirm(s: Session, settings: Settings, signed: str, *, now: dt.datetime) -> Subscription | None:
    """Activate the subscription a signed link names; confirming twice is harmless. None: link not valid."""
    token = links.read_confirmation(settings, signed)
    sub = by_token(s, token) if token else None
    if sub is None:
        return None
    if sub.status == "pending_confirmation":
        sub.status, sub.confirmed_at = "active", now
        s.add(sub)
    return sub


def unsubscribe(s: Session, token: str) -> Subscription | None:
    sub = by_token(s, token)
    if sub is not None and sub.status != "unsubscribed":
        sub.status = "unsubscribed"
        s.add(sub)
    return sub


def record_feedback(s: Session, token: str, programme_id: str, value: str, *, now: dt.datetime) -> bool:
    """Store "passt" / "passt_nicht"; False if the subscription or the programme is unknown."""
    sub = by_token(s, token)
    if sub is None or sub.id is None or s.get(Programme, programme_id) is None:
        return False
    s.add(Feedback(subscription_id=sub.id, programme_id=programme_id, value=value, created_at=now))
    return True


def export(s: Session, sub: Subscription) -> dict[str, Any]:
    """Everything held about one subscriber (the webhook secret only as "set")."""
    data = sub.model_dump(mode="json", exclude={"hmac_secret", "digest_seq"})
    data["hmac_secret_set"] = sub.hmac_secret is not None
    data["sent_items"] = [x.model_dump(mode="json", exclude={"subscription_id"})
                          for x in s.exec(select(SentItem).where(SentItem.subscription_id == sub.id))]
    data["messages"] = [{"id": m.id, "kind": m.kind, "channel": m.channel, "status": m.status,
                         "subject": m.payload.get("subject"), "created_at": m.created_at.isoformat(),
                         "sent_at": m.sent_at.isoformat() if m.sent_at else None}
                        for m in s.exec(select(OutboxMessage).where(OutboxMessage.subscription_id == sub.id))]
    data["feedback"] = [x.model_dump(mode="json", exclude={"subscription_id"})
                        for x in s.exec(select(Feedback).where(Feedback.subscription_id == sub.id))]
    return data


def delete_all(s: Session, sub: Subscription) -> None:
    """Remove the subscriber and every row about them (pending messages included: nothing more is sent)."""
    for table in (SentItem, Feedback, OutboxMessage):
        s.execute(delete(table).where(col(table.subscription_id) == sub.id))
    s.delete(sub)
