"""Only one worker leads: a PostgreSQL advisory lock or a SQLite lease, handed over when the leader goes."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from catalog.db import make_engine
from crawlers.leader import LeaderLock
from crawlers.models import WorkerLease


def test_one_leader_and_takeover(engine, db_url) -> None:  # type: ignore[no-untyped-def]
    other_engine = make_engine(db_url)  # a second process has its own connections
    first, second = LeaderLock(engine, lease_s=60), LeaderLock(other_engine, lease_s=60)
    second.holder = "other-host:1"
    assert first.try_acquire()
    assert first.try_acquire()  # heartbeat keeps it
    assert not second.try_acquire()
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()
    other_engine.dispose()


def test_expired_lease_is_taken_over(engine) -> None:  # type: ignore[no-untyped-def]
    if engine.dialect.name == "postgresql":
        return  # the advisory lock dies with its connection; covered by the test above
    stale = LeaderLock(engine, lease_s=60)
    assert stale.try_acquire()
    with Session(engine) as s, s.begin():
        lease = s.get(WorkerLease, "worker")
        lease.expires_at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    fresh = LeaderLock(engine)
    fresh.holder = "other-host:2"
    assert fresh.try_acquire()
    assert not stale.try_acquire()
