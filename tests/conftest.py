"""Shared fixtures: a fresh database per test on SQLite and (when a server binary exists) PostgreSQL."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from catalog.db import make_engine, migrate
from config.settings import Settings
from tests import pg

REPO = Path(__file__).resolve().parent.parent
# The embedding model is built once into the project's cache, not per test.
MODEL_CACHE = Path(os.environ.get("FOERDERMATCH_MODEL_CACHE_DIR", REPO / "var" / "models"))
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pg.Cluster | None]:
    cluster = pg.start_cluster()
    if cluster is None and os.environ.get("FOERDERMATCH_REQUIRE_POSTGRES"):
        pytest.fail("PostgreSQL server binaries are required (FOERDERMATCH_REQUIRE_POSTGRES) but not found")
    if cluster is not None:
        admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("CREATE DATABASE fm_template"))
        template = make_engine(cluster.url("fm_template"))
        migrate(template)
        template.dispose()
        admin.dispose()
    yield cluster
    if cluster is not None:
        cluster.stop()


def _pg_database(cluster: pg.Cluster) -> str:
    """A new database cloned from the migrated template: fast and fully isolated."""
    name = f"fm_{os.getpid()}_{next(_counter)}"
    admin = create_engine(cluster.url("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f"CREATE DATABASE {name} TEMPLATE fm_template"))
    admin.dispose()
    return cluster.url(name)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fm.db'}"
    cluster = request.getfixturevalue("pg_cluster")
    if cluster is None:
        pytest.skip("no PostgreSQL server binary on this machine")
    return _pg_database(cluster)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    e = make_engine(db_url)
    migrate(e)
    yield e
    e.dispose()


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    return Settings(data_dir=tmp_path, database_url=db_url, model_cache_dir=MODEL_CACHE)
