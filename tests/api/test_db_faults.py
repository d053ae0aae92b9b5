"""Database faults with real parts: a locked SQLite file or PostgreSQL table, an exhausted connection pool and a
stopped PostgreSQL server answer 503 with a German message and Retry-After; the same app recovers by itself.
"""

from __future__ import annotations

import contextlib
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from api.main import create_app
from api.pages import DATABASE_UNAVAILABLE_DE
from catalog.db import make_engine, migrate
from config.settings import Settings
from matcher.embed import FakeEmbedder
from matcher.runtime import MatchRuntime
from tests import pg
from tests.api.conftest import seed
from tests.api.desk_helpers import bearer, login, make_user
from tests.conftest import MODEL_CACHE

PROFILE = {"applicant": {"type": "kommune"}, "project": {"idea": "Wasserversorgung mit der Partnerstadt"}}
CASE_FORM = {"municipality": "Gemeinde Beispiel", "applicant_type": "kommune", "idea": "Wasser für Ho"}
WAIT_MS = 200  # how long the app waits for a lock before giving up (production: 30 s)


def client_for(engine: Engine, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, MatchRuntime(engine, settings, embedder=FakeEmbedder())))


def assert_unavailable_json(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 503, r.text
    assert r.json() == {"detail": DATABASE_UNAVAILABLE_DE}
    assert int(r.headers["retry-after"]) > 0


def assert_unavailable_page(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 503, r.text
    assert r.headers["content-type"].startswith("text/html") and int(r.headers["retry-after"]) > 0
    assert "Datenbank nicht erreichbar" in r.text and DATABASE_UNAVAILABLE_DE in r.text


def impatient_engine(db_url: str) -> Engine:
    """The app's engine, but giving up on a lock after WAIT_MS instead of waiting 30 seconds."""
    if db_url.startswith("sqlite"):
        engine = make_engine(db_url)

        @event.listens_for(engine, "connect")  # after catalog.db's pragmas, so this busy timeout wins
        def _short_busy_timeout(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.execute(f"PRAGMA busy_timeout={WAIT_MS}")

        return engine
    url = make_url(db_url).update_query_dict({"options": f"-c lock_timeout={WAIT_MS}"})
    return make_engine(url.render_as_string(hide_password=False))


@contextlib.contextmanager
def write_lock(engine: Engine) -> Iterator[None]:
    """Another client holds the write lock: the whole SQLite file, or the PostgreSQL tables the test writes."""
    if engine.dialect.name == "sqlite":
        writer = sqlite3.connect(str(engine.url.database), isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            writer.rollback()
            writer.close()
        return
    with engine.connect() as other:
        other.execute(text("LOCK TABLE savedprofile, advicecase IN ACCESS EXCLUSIVE MODE"))
        yield
        other.rollback()


def test_locked_database_is_a_503_until_the_lock_is_released(engine: Engine, settings: Settings, db_url: str,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    seed(engine)
    h = bearer(make_user(engine, "koord@example.org", "coordinator"))
    make_user(engine, "desk@example.org", "desk")
    app_engine = impatient_engine(db_url)
    with client_for(app_engine, settings) as client:
        assert client.get("/api/v1/profiles", headers=h).status_code == 200  # the token's first use is a write
        csrf = login(client, "desk@example.org")
        body = {"name": "Ghana Wasser", "profile": PROFILE}
        with write_lock(engine):
            assert_unavailable_json(client.post("/api/v1/profiles", json=body, headers=h))
            assert_unavailable_page(client.post("/cases", data={**CASE_FORM, "csrf_token": csrf}))
        logged = [r for r in caplog.records if r.name == "api.pages" and r.levelname == "ERROR"]
        assert [r.getMessage().split(":")[1].strip() for r in logged] == ["POST /api/v1/profiles", "POST /cases"]
        assert all(r.exc_info for r in logged)  # the server log keeps the driver's error and traceback
        assert client.post("/api/v1/profiles", json=body, headers=h).status_code == 201
        made = client.post("/cases", data={**CASE_FORM, "csrf_token": csrf}, follow_redirects=False)
        assert made.status_code == 303
    app_engine.dispose()


def test_exhausted_connection_pool_is_a_503(engine: Engine, settings: Settings, db_url: str) -> None:
    seed(engine)
    extra = {"connect_args": {"check_same_thread": False}} if db_url.startswith("sqlite") else {}
    tiny = create_engine(db_url, pool_size=1, max_overflow=0, pool_timeout=WAIT_MS / 1000, **extra)
    with client_for(tiny, settings) as client:
        held = tiny.connect()  # another request that does not give its connection back
        assert_unavailable_json(client.get("/api/v1/programmes"))
        assert_unavailable_page(client.get("/programme/wasser-sued"))
        held.close()
        assert client.get("/api/v1/programmes").json()["total"] == 2
        assert client.get("/programme/wasser-sued").status_code == 200
    tiny.dispose()


# --- a PostgreSQL server of its own, stopped and started under a running app ---------------------------------


def pg_ctl(cluster: pg.Cluster, *args: str) -> None:
    data, log = cluster.root / "data", cluster.root / "log"
    cluster._run(str(cluster.bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", *args)


@pytest.fixture
def own_cluster() -> Iterator[pg.Cluster]:
    """Not the session's shared cluster: this one is stopped in the middle of the test."""
    cluster = pg.start_cluster()
    if cluster is None:
        pytest.skip("no PostgreSQL server binary on this machine")
    yield cluster
    with contextlib.suppress(subprocess.CalledProcessError):  # already stopped if the test failed half-way
        cluster.stop()


def test_stopped_postgres_is_a_503_and_the_app_reconnects(own_cluster: pg.Cluster, tmp_path: Path) -> None:
    admin = create_engine(own_cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text("CREATE DATABASE fm"))
    admin.dispose()
    engine = make_engine(own_cluster.url("fm"))
    migrate(engine)
    seed(engine)
    settings = Settings(data_dir=tmp_path, database_url=own_cluster.url("fm"), model_cache_dir=MODEL_CACHE)
    with client_for(engine, settings) as client:
        assert client.get("/api/v1/programmes").json()["total"] == 2
        pg_ctl(own_cluster, "-m", "immediate", "stop")
        assert_unavailable_json(client.get("/api/v1/programmes"))
        assert_unavailable_json(client.get("/api/v1/programmes/wasser-sued"))
        assert_unavailable_page(client.get("/programme/wasser-sued"))
        assert client.get("/health").status_code == 503
        pg_ctl(own_cluster, "restart")  # with the options the server was first started with (postmaster.opts)
        assert client.get("/api/v1/programmes").json()["total"] == 2
        assert client.get("/programme/wasser-sued").status_code == 200
        assert client.get("/health").json()["status"] == "ok"
    engine.dispose()
