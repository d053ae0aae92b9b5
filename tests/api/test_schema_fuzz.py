"""Schema fuzzing: every operation in the OpenAPI schema with generated inputs, in-process, as an admin.

Checks: no server error (5xx) and every documented response matches its schema. Bounded and deterministic
(derandomized Hypothesis, a fixed number of valid and of invalid examples per operation), so a failure reproduces.
"""

from __future__ import annotations

import json
import socket
import tempfile
from collections import Counter
from collections.abc import Iterator
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

from api import accounts
from api.main import create_app
from catalog.db import make_engine, migrate
from config.settings import Settings
from matcher.embed import FakeEmbedder
from matcher.runtime import MatchRuntime
from tests.api.conftest import seed
from tests.conftest import REPO

# One group: the last test reads what the fuzz tests counted in this process.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("schema-fuzz")]

MAX_EXAMPLES = 25  # per operation and generation mode (valid inputs, invalid inputs)
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
SUMMARY = REPO / "tests" / "artifacts" / "schema-fuzz.json"
AUTH: dict[str, str] = {}
calls: Counter[str] = Counter()
statuses: dict[str, Counter[int]] = {}


def operation_labels() -> list[str]:
    """The schema's operations, read at collection from an app that never touches its (unopened) database."""
    here = Settings(data_dir=Path(tempfile.gettempdir()), database_url="sqlite://")
    app = create_app(here, MatchRuntime(create_engine("sqlite://"), here, embedder=FakeEmbedder()))
    return [f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item]


def _unresolvable(*_: Any, **__: Any) -> Any:
    raise socket.gaierror("DNS is off in the fuzz test")


@pytest.fixture(scope="module")
def fuzz_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    """The app on SQLite with two programmes and the fake embedder, and an admin's API token for every call."""
    data_dir: Path = tmp_path_factory.mktemp("fuzz")
    engine = make_engine(f"sqlite:///{data_dir / 'fm.db'}")
    migrate(engine)
    seed(engine)
    with Session(engine) as s, s.begin():
        admin = accounts.create_user(s, email="fuzz@example.org", role="admin", name="Fuzz", password=None)
        AUTH["Authorization"] = f"Bearer {accounts.issue_token(s, admin, 'fuzz')}"
    app_settings = Settings(data_dir=data_dir, database_url=str(engine.url), match_rate_limit=1_000_000)
    app = create_app(app_settings, MatchRuntime(engine, app_settings, embedder=FakeEmbedder()))
    with pytest.MonkeyPatch.context() as mp:
        # Nothing leaves the process: webhook hosts never resolve, confirmations are queued but not sent.
        mp.setattr("newsletter.webhook.socket.getaddrinfo", _unresolvable)
        mp.setattr("api.routes.subscriptions.deliver_pending", lambda *a, **k: None)
        yield schemathesis.openapi.from_asgi("/openapi.json", app)
    engine.dispose()


@pytest.mark.parametrize("label", operation_labels())
@pytest.mark.parametrize("mode", MODES, ids=lambda m: m.value)
def test_operation(fuzz_schema: schemathesis.BaseSchema, label: str, mode: GenerationMode) -> None:
    operation = fuzz_schema.find_operation_by_label(label)
    assert operation is not None, f"{label} is in the app but not in the schema schemathesis read"

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        response = case.call(headers=AUTH)
        calls[label] += 1
        statuses.setdefault(label, Counter())[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance], headers=AUTH)

    run()


def test_every_operation_was_fuzzed(fuzz_schema: schemathesis.BaseSchema) -> None:
    """Guards the runs above (an operation that got no request would pass silently) and leaves a summary."""
    labels = operation_labels()
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps({
        "max_examples_per_mode": MAX_EXAMPLES, "operations": len(labels), "requests": sum(calls.values()),
        "per_operation": {op: {"requests": calls[op], "statuses": dict(sorted(statuses.get(op, Counter()).items()))}
                          for op in labels},
    }, indent=2, ensure_ascii=False))
    missing = [op for op in labels if calls[op] == 0]
    assert labels and not missing, f"no request for {missing} (run the whole module)"
