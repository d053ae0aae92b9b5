"""Tables of the newsletter: subscriptions, what each was sent (fingerprints), the outbox, and item feedback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from catalog.models import utcnow

CHANNELS = ("email", "webhook", "atom", "ical")
FREQUENCIES = ("after_crawl", "daily", "weekly")
SUBSCRIPTION_STATUSES = ("pending_confirmation", "active", "unsubscribed", "disabled")
ITEM_KINDS = ("new", "changed", "deadline_reminder")
# pending/failed wait for next_attempt_at; sending is claimed; unknown: a crash hit the moment of transmission
# (SMTP: treated as delivered, never re-sent automatically); dead: given up.
MESSAGE_STATUSES = ("pending", "sending", "sent", "unknown", "failed", "dead")
FEEDBACK_VALUES = ("passt", "passt_nicht")


class Subscription(SQLModel, table=True):
    """One subscriber on one channel. ``token`` is the secret in feed, unsubscribe and "my data" links."""

    id: int | None = Field(default=None, primary_key=True)
    channel: str = Field(max_length=10)
    address: str | None = Field(default=None, max_length=2000)  # e-mail address or webhook URL; None for feeds
    token: str = Field(unique=True, max_length=64)
    hmac_secret: str | None = Field(default=None, max_length=128)
    profile: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    frequency: str = Field(default="after_crawl", max_length=20)
    min_score: float | None = None
    only_eligible: bool = False
    exclude_words: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    language: str = Field(default="de", max_length=2)
    status: str = Field(default="pending_confirmation", index=True, max_length=24)
    failure_count: int = 0
    created_at: dt.datetime = Field(default_factory=utcnow)
    confirmed_at: dt.datetime | None = None
    # The digest's progress: events up to this ProgrammeEvent id are done; None before the first digest.
    last_event_id: int | None = None
    last_digest_at: dt.datetime | None = None
    # Bumped by every digest computation; a compare-and-set on it keeps two runners from digesting twice.
    digest_seq: int = 0


class SentItem(SQLModel, table=True):
    """One item a subscriber has been given; the fingerprint says what makes a later item "the same"."""

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    programme_id: str = Field(max_length=120)
    kind: str = Field(max_length=20)
    fingerprint: str = Field(max_length=64)
    outbox_message_id: int | None = Field(default=None, foreign_key="outboxmessage.id")
    created_at: dt.datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A message to deliver, written in the same transaction as its SentItems; ``payload`` is fully rendered."""

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    kind: str = Field(max_length=20)  # confirm | digest
    channel: str = Field(max_length=10)  # the subscription's channel when the message was written
    message_id: str | None = Field(default=None, unique=True, max_length=200)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", index=True, max_length=10)
    attempts: int = 0
    next_attempt_at: dt.datetime = Field(default_factory=utcnow)
    last_error: str | None = None
    created_at: dt.datetime = Field(default_factory=utcnow)
    claimed_at: dt.datetime | None = Field(default=None, index=True)
    # Set (and committed) just before the bytes go out: a crash after this point leaves the outcome unknown.
    transmitting_at: dt.datetime | None = None
    sent_at: dt.datetime | None = None


class Feedback(SQLModel, table=True):
    """"passt" / "passt nicht" for one programme; the latest one counts, "passt nicht" hides the programme."""

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(foreign_key="subscription.id", index=True)
    programme_id: str = Field(max_length=120)
    value: str = Field(max_length=12)
    created_at: dt.datetime = Field(default_factory=utcnow)
