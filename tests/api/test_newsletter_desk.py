"""The desk sees subscriptions by status and every delivery problem; others may not."""

from sqlmodel import Session

from newsletter.models import OutboxMessage, Subscription
from tests.api.desk_helpers import bearer, login, make_user


def test_problems_for_the_desk_only(client, engine) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s, s.begin():
        sub = Subscription(channel="email", address="kaputt@example.org", profile={}, status="disabled",
                           failure_count=3, token="t" * 32)
        s.add(sub)
        s.flush()
        s.add(OutboxMessage(subscription_id=sub.id, kind="digest", channel="email", payload={}, status="dead",
                            attempts=8, last_error="550 mailbox unavailable"))
    assert client.get("/api/v1/newsletter/problems").status_code == 401
    coord = bearer(make_user(engine, "k@example.org", "coordinator"))
    assert client.get("/api/v1/newsletter/problems", headers=coord).status_code == 403
    desk = bearer(make_user(engine, "d@example.org", "desk"))
    body = client.get("/api/v1/newsletter/problems", headers=desk).json()
    assert body["subscriptions"] == {"disabled": 1}
    assert body["problem_subscriptions"][0]["address"] == "kaputt@example.org"
    assert body["messages"][0]["last_error"] == "550 mailbox unavailable"
    login(client, "d@example.org")
    page = client.get("/newsletter")
    assert page.status_code == 200 and "aufgegeben" in page.text and "550 mailbox unavailable" in page.text
