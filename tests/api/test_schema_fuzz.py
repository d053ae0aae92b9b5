"""Schema fuzzing: every operation in the OpenAPI schema with generated inputs, in-process, as an admin.

Checks: no server error (5xx) and every documented response matches its schema. Bounded and deterministic
(derandomized Hypothesis, a fixed number of valid and of invalid examples per operation), so a failure reproduces.
Runs on SQLite and on PostgreSQL: some inputs (huge ids, NUL characters) only break one of them.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import create_engine
from sqlmodel import Session
from starlette.testclient import TestClient

from api import accounts
from api.main import create_app
from catalog.db import make_engine, migrate
from config.settings import Settings
from matcher.embed import FakeEmbedder
from matcher.runtime import MatchRuntime
from tests.api.conftest import seed
from tests.conftest import REPO, _pg_database

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("schema-fuzz")]

MAX_EXAMPLES = 25  # per operation and generation mode (valid inputs, invalid inputs)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
ARTIFACTS = REPO / "tests" / "artifacts"
_serial = itertools.count(1)


@dataclass
class Target:
    db: str
    app: Any
    schema: Any
    auth: dict[str, str]
    calls: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)


def operation_labels() -> list[str]:
    """The schema's operations, read at collection from an app that never touches its (unopened) database."""
    here = Settings(data_dir=Path(tempfile.gettempdir()), database_url="sqlite://")
    app = create_app(here, MatchRuntime(create_engine("sqlite://"), here, embedder=FakeEmbedder()))
    return [f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item]


def _unresolvable(*_: Any, **__: Any) -> Any:
    raise socket.gaierror("DNS is off in the fuzz test")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def target(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """The app with two programmes and the fake embedder, and an admin's API token for every call."""
    data_dir: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{data_dir / 'fm.db'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        if cluster is None:
            pytest.skip("no PostgreSQL server binary on this machine")
        url = _pg_database(cluster)
    engine = make_engine(url)
    migrate(engine)
    seed(engine)
    with Session(engine) as s, s.begin():
        admin = accounts.create_user(s, email="fuzz@example.org", role="admin", name="Fuzz", password=None)
        auth = {"Authorization": f"Bearer {accounts.issue_token(s, admin, 'fuzz')}"}
    app_settings = Settings(data_dir=data_dir, database_url=url, match_rate_limit=1_000_000)
    app = create_app(app_settings, MatchRuntime(engine, app_settings, embedder=FakeEmbedder()))
    with pytest.MonkeyPatch.context() as mp:
        # Nothing leaves the process: webhook hosts never resolve, confirmations are queued but not sent.
        mp.setattr("newsletter.webhook.socket.getaddrinfo", _unresolvable)
        mp.setattr("api.routes.subscriptions.deliver_pending", lambda *a, **k: None)
        t = Target(request.param, app, schemathesis.openapi.from_asgi("/openapi.json", app), auth)
        yield t
    engine.dispose()
    _write_summary(t)


def _write_summary(target: Target) -> None:
    """What was sent and answered per operation, kept as a test artifact (counts for the closing note)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"schema-fuzz-{target.db}.json").write_text(json.dumps({
        "database": target.db, "max_examples_per_mode": MAX_EXAMPLES, "operations": len(target.calls),
        "requests": sum(target.calls.values()),
        "per_operation": {op: {"requests": n, "statuses": dict(sorted(target.statuses.get(op, Counter()).items()))}
                          for op, n in sorted(target.calls.items())},
    }, indent=2, ensure_ascii=False))


def existing_rows(t: Target) -> dict[str, Any]:
    """One of each thing a path can name, made through the API, so that fuzzing gets past the 404s."""
    profile = {"applicant": {"type": "kommune"}, "partners": [{"country": "GH"}], "project": {"idea": "Wasser"}}
    with TestClient(t.app, headers=t.auth) as c:
        def made(path: str, body: dict[str, Any]) -> dict[str, Any]:
            r = c.post(path, json=body)
            assert r.status_code == 201, (path, r.text)
            return r.json()

        case = made("/api/v1/cases", {"municipality": "Stadt Fuzz", "profile": profile})
        return {
            "programme_id": "wasser-sued", "case_id": case["id"],
            "item_id": made(f"/api/v1/cases/{case['id']}/shortlist", {"programme_id": "wasser-sued"})["id"],
            "profile_id": made("/api/v1/profiles", {"name": f"Fuzz {next(_serial)}", "profile": profile})["id"],
            "correction_id": made("/api/v1/programmes/wasser-sued/corrections",
                                  {"field": "rules.funding_rate", "value": 0.8, "reason": "Merkblatt"})["id"],
            "token": made("/api/v1/subscriptions", {"channel": "atom", "profile": profile})["token"],
        }


def strategy(t: Target, operation: Any, label: str, mode: GenerationMode) -> Any:
    """Generated inputs; valid ones also with ids of existing rows (most random ids only reach a 404)."""
    generated = operation.as_strategy(generation_mode=mode)
    rows = existing_rows(t)  # fresh ones per test: an earlier DELETE must not leave only 404s
    known = {name: rows[name] for name in re.findall(r"{(\w+)}", label) if name in rows}
    if mode is not GenerationMode.POSITIVE or not known:
        return generated
    return generated | operation.as_strategy(generation_mode=mode, path_parameters=known)


@pytest.mark.parametrize("label", operation_labels())
@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_operation(target: Target, label: str, mode: GenerationMode) -> None:
    operation = target.schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is in the app but not in the schema schemathesis read"

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=strategy(target, operation, label, mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=target.auth)
        target.calls[label] += 1
        target.statuses.setdefault(label, Counter())[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance],
                               headers=target.auth)

    before = target.calls[label]
    run()
    assert target.calls[label] > before, f"{label} got no request"  # an operation must not pass unexercised
