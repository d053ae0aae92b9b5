"""Leader election for the worker: only one process runs scheduled jobs at a time.

PostgreSQL: a session-level advisory lock held on a dedicated connection (released by the server if the
process dies). SQLite: a lease row with an expiry, renewed by the leader's heartbeat.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from catalog.models import utcnow
from crawlers.models import WorkerLease

ADVISORY_KEY = 0x666D_776B  # "fmwk"


class LeaderLock:
    def __init__(self, engine: Engine, *, name: str = "worker", lease_s: int = 60) -> None:
        self.engine, self.name, self.lease_s = engine, name, lease_s
        self.holder = f"{socket.gethostname()}:{os.getpid()}"
        self._conn: Connection | None = None

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def try_acquire(self) -> bool:
        """True when this process leads (now or already); call it again as the heartbeat."""
        return self._advisory() if self.is_postgres else self._lease()

    def _advisory(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except Exception:  # noqa: BLE001 - a lost connection means the lock is gone too
                self._conn = None
        conn = self.engine.connect()
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
        conn.commit()
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def _lease(self) -> bool:
        now = utcnow()
        until = now + dt.timedelta(seconds=self.lease_s)
        try:
            with Session(self.engine) as s, s.begin():
                if s.get(WorkerLease, self.name) is None:
                    s.add(WorkerLease(name=self.name, holder=self.holder, expires_at=until))
                    return True
        except IntegrityError:  # another worker inserted the lease first
            return False
        with Session(self.engine) as s, s.begin():
            taken = s.exec(update(WorkerLease).where(  # type: ignore[call-overload]
                col(WorkerLease.name) == self.name,
                (col(WorkerLease.holder) == self.holder) | (col(WorkerLease.expires_at) < now),
            ).values(holder=self.holder, expires_at=until))
            return taken.rowcount == 1

    def release(self) -> None:
        if self._conn is not None:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
            self._conn.commit()
            self._conn.close()
            self._conn = None
        elif not self.is_postgres:
            with Session(self.engine) as s, s.begin():
                lease = s.get(WorkerLease, self.name)
                if lease is not None and lease.holder == self.holder:
                    s.delete(lease)
