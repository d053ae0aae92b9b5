"""Delivery against real servers: SMTP retries and bounces, signed webhooks, private targets, rate limit, races."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from urllib.parse import urlsplit

from sqlmodel import Session, select

from catalog.models import utcnow
from newsletter import deliver, jobs, outbox
from newsletter.models import OutboxMessage, Subscription
from newsletter.webhook import target_problem
from tests.newsletter.conftest import add_subscription, change, day, load_catalogue


class FakeClock:
    def __init__(self) -> None:
        self.now = utcnow()
        self.sleeps: list[float] = []

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.advance(seconds)


def messages(engine) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return list(s.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def subscription(engine) -> Subscription:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return s.exec(select(Subscription)).one()


def test_temporary_smtp_failure_is_retried_with_backoff_and_the_same_message_id(engine, nl_settings, runtime,
                                                                              smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    add_subscription(engine, nl_settings, address="voll@example.org")
    load_catalogue(engine)
    clock = FakeClock()
    jobs.compute_digests(engine, nl_settings, runtime, now=clock())
    inbox.rcpt_replies["voll@example.org"] = "451 4.2.2 Mailbox full, try later"
    deliver.deliver_pending(engine, nl_settings, clock=clock)
    [msg] = messages(engine)
    assert (msg.status, msg.attempts, "451" in msg.last_error) == ("failed", 1, True)
    assert msg.next_attempt_at == clock() + dt.timedelta(seconds=nl_settings.newsletter_retry_base_s)
    first_id = msg.message_id
    clock.advance(30)
    assert deliver.deliver_pending(engine, nl_settings, clock=clock).statuses == {}  # not due yet
    clock.advance(31)
    deliver.deliver_pending(engine, nl_settings, clock=clock)
    [msg] = messages(engine)
    assert (msg.attempts, msg.next_attempt_at) == (2, clock() + dt.timedelta(seconds=120))  # doubled
    del inbox.rcpt_replies["voll@example.org"]
    clock.advance(120)
    deliver.deliver_pending(engine, nl_settings, clock=clock)
    [msg] = messages(engine)
    assert msg.status == "sent" and msg.message_id == first_id
    assert [m["Message-ID"] for m in inbox.messages] == [first_id]


def test_hard_bounces_disable_the_subscription_for_the_desk(engine, nl_settings, runtime, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    settings = nl_settings.model_copy(update={"newsletter_disable_after": 2})
    add_subscription(engine, settings, address="weg@example.org")
    inbox.rcpt_replies["weg@example.org"] = "550 5.1.1 No such user"
    load_catalogue(engine)
    jobs.run_newsletter(engine, settings, runtime)
    assert [m.status for m in messages(engine)] == ["dead"]
    assert (subscription(engine).status, subscription(engine).failure_count) == ("active", 1)
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(50)}])
    jobs.run_newsletter(engine, settings, runtime)
    assert subscription(engine).status == "disabled"
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(51)}])
    jobs.run_newsletter(engine, settings, runtime)
    assert len(messages(engine)) == 2 and inbox.messages == []  # a disabled subscription gets no digest
    with Session(engine) as s:
        problems = outbox.delivery_problems(s)
    assert problems["subscriptions"][0]["status"] == "disabled"
    assert [m["status"] for m in problems["messages"]] == ["dead", "dead"]
    assert "550" in problems["messages"][0]["last_error"]


def signed_ok(secret: str, hit) -> bool:  # type: ignore[no-untyped-def]
    expected = "sha256=" + hmac.new(secret.encode(), hit.body, hashlib.sha256).hexdigest()
    return hit.headers["x-foerdermatch-signature"] == expected


def test_webhook_confirm_digest_retry_and_permanent_failure(client, engine, runtime, nl_settings, hooks) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import profile

    r = client.post("/api/v1/subscriptions", json={
        "channel": "webhook", "address": hooks.url(), "frequency": "after_crawl",
        "profile": profile().model_dump(mode="json", exclude_none=True)})
    assert r.status_code == 201, r.text
    secret = r.json()["hmac_secret"]
    [confirm] = hooks.hits
    body = json.loads(confirm.body)
    assert signed_ok(secret, confirm) and body["type"] == "subscription.confirm"
    assert not signed_ok("falscher-schluessel", confirm)
    load_catalogue(engine)
    jobs.run_newsletter(engine, nl_settings, runtime)
    assert len(hooks.hits) == 1  # not confirmed yet: nothing but the confirmation request
    assert client.get(urlsplit(body["confirm_url"]).path).status_code == 200

    jobs.run_newsletter(engine, nl_settings, runtime)
    digest = hooks.hits[1]
    assert signed_ok(secret, digest) and digest.headers["x-foerdermatch-event"] == "digest"
    items = json.loads(digest.body)["items"]
    assert {i["programme_id"] for i in items} == {"wasser-sued", "klima-zwei-stufen", "jugend-frankreich"}
    assert digest.headers["x-foerdermatch-delivery"] == messages(engine)[-1].message_id

    hooks.replies["/hook"] = [500]
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(45)}])
    jobs.run_newsletter(engine, nl_settings, runtime)
    assert messages(engine)[-1].status == "failed"
    clock = FakeClock()
    clock.advance(nl_settings.newsletter_retry_base_s + 1)
    deliver.deliver_pending(engine, nl_settings, clock=clock)
    failed, retried = hooks.hits[2:]
    assert messages(engine)[-1].status == "sent" and failed.body == retried.body
    assert failed.headers["x-foerdermatch-delivery"] == retried.headers["x-foerdermatch-delivery"]

    hooks.replies["/hook"] = [410]
    change(engine, "wasser-sued", deadlines=[{"kind": "application", "date": day(46)}])
    jobs.run_newsletter(engine, nl_settings, runtime)
    assert messages(engine)[-1].status == "dead" and subscription(engine).failure_count == 1


def test_webhook_targets_on_private_networks_are_refused(nl_settings) -> None:  # type: ignore[no-untyped-def]
    strict = nl_settings.model_copy(update={"webhook_allow_hosts": []})
    for url in ("http://10.0.0.5/hook", "http://127.0.0.1:9/hook", "http://[::1]/hook", "http://169.254.169.254/",
                "http://192.168.1.10/x", "http://localhost:8080/"):
        assert "privaten oder lokalen Netz" in (target_problem(strict, url) or ""), url
    assert target_problem(strict, "ftp://example.org/") is not None
    assert target_problem(strict, "https://user:pw@93.184.215.14/hook") is not None
    assert target_problem(strict, "https://93.184.215.14/hook") is None
    assert target_problem(nl_settings, "http://127.0.0.1:9/hook") is None  # allow-listed for the tests


def test_global_rate_limit_waits_instead_of_sending(engine, nl_settings, runtime, smtp) -> None:  # type: ignore[no-untyped-def]
    inbox, _ = smtp
    settings = nl_settings.model_copy(update={"newsletter_rate_per_minute": 2})
    for n in range(3):
        add_subscription(engine, settings, address=f"s{n}@example.org")
    load_catalogue(engine)
    clock = FakeClock()
    jobs.compute_digests(engine, settings, runtime, now=clock())
    report = deliver.deliver_pending(engine, settings, clock=clock, sleep=clock.sleep)
    assert report.statuses == {"sent": 3} and clock.sleeps == [60.0] and len(inbox.messages) == 3
    assert deliver.rate_wait_s(settings, [clock()] * 2, clock()) == 60.0


def test_one_runner_digests_and_one_sender_claims(engine, nl_settings, runtime, smtp) -> None:  # type: ignore[no-untyped-def]
    sub = add_subscription(engine, nl_settings)
    load_catalogue(engine)
    matches = runtime.match(jobs.Profile.model_validate(sub.profile), jobs.MatchOptions(top=20))["matches"]
    programmes = {p.id: p for p in runtime.index().programmes}
    cap, now = outbox.max_event_id(engine), utcnow()
    args = dict(subscription_id=sub.id, seq=sub.digest_seq, matches=matches, programmes=programmes, cap=cap, now=now)
    assert outbox.commit_digest(engine, nl_settings, **args, dry_run=True) is not None
    assert messages(engine) == []  # the dry run rolled back
    assert outbox.commit_digest(engine, nl_settings, **args) is not None
    assert outbox.commit_digest(engine, nl_settings, **args) is None  # same turn taken twice: refused
    first = outbox.claim_next(engine, nl_settings, now=now)
    assert first is not None and outbox.claim_next(engine, nl_settings, now=now) is None
    assert messages(engine)[0].status == "sending" and messages(engine)[0].message_id == first.message_id


def test_recovery_resends_only_what_provably_did_not_go_out(engine, nl_settings, runtime, smtp, hooks) -> None:  # type: ignore[no-untyped-def]
    add_subscription(engine, nl_settings, address="a@example.org")
    add_subscription(engine, nl_settings, address="b@example.org")
    add_subscription(engine, nl_settings, channel="webhook", address=hooks.url())
    load_catalogue(engine)
    now = utcnow()
    jobs.compute_digests(engine, nl_settings, runtime, now=now)
    claimed = outbox.claim_next(engine, nl_settings, now=now)  # a: claimed, never transmitted
    mail_tx = outbox.claim_next(engine, nl_settings, now=now)  # b: transmission had started
    hook_tx = outbox.claim_next(engine, nl_settings, now=now)  # webhook: POST had started
    for c in (mail_tx, hook_tx):
        outbox.mark_transmitting(engine, c.id, now=now)
    lease = nl_settings.model_copy(update={"newsletter_sending_lease_s": 300})
    assert outbox.recover_stuck(engine, lease, now=now) == {"requeued": 0, "unknown": 0, "resend": 0}  # lease
    assert outbox.recover_stuck(engine, nl_settings, now=now) == {"requeued": 1, "unknown": 1, "resend": 1}
    status = {m.id: m.status for m in messages(engine)}
    assert (status[claimed.id], status[mail_tx.id], status[hook_tx.id]) == ("pending", "unknown", "pending")
