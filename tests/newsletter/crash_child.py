"""A newsletter run in a process of its own that stops at a named step and waits there to be SIGKILLed.

Usage: python -m tests.newsletter.crash_child DB_URL SMTP_PORT STEP DATA_DIR
STEP: none | after_digest_commit | after_claim | during_transmission | after_accept
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from catalog.db import make_engine
from config.settings import Settings
from matcher.embed import FakeEmbedder
from matcher.runtime import MatchRuntime
from newsletter import outbox
from newsletter.jobs import run_newsletter
from tests.processes import halt


def install(step: str) -> None:
    commit, claim, transmitting, record = (outbox.commit_digest, outbox.claim_next, outbox.mark_transmitting,
                                           outbox.record_outcome)

    def commit_then_halt(*args: Any, **kw: Any) -> Any:
        result = commit(*args, **kw)
        if result is not None:
            halt(step)
        return result

    def claim_then_halt(*args: Any, **kw: Any) -> Any:
        result = claim(*args, **kw)
        if result is not None:
            halt(step)
        return result

    def transmitting_then_halt(*args: Any, **kw: Any) -> None:
        transmitting(*args, **kw)
        halt(step)

    def halt_before_recording_sent(engine: Any, settings: Any, pk: int, outcome: outbox.Outcome, **kw: Any) -> str:
        if outcome.kind == "sent":  # the server has accepted the message; "sent" is not yet recorded
            halt(step)
        return record(engine, settings, pk, outcome, **kw)

    patches = {"after_digest_commit": ("commit_digest", commit_then_halt),
               "after_claim": ("claim_next", claim_then_halt),
               "during_transmission": ("mark_transmitting", transmitting_then_halt),
               "after_accept": ("record_outcome", halt_before_recording_sent)}
    if step in patches:
        name, fn = patches[step]
        setattr(outbox, name, fn)


def main(db_url: str, smtp_port: str, step: str, data_dir: str) -> None:
    settings = Settings(data_dir=Path(data_dir), database_url=db_url, smtp_host="127.0.0.1", smtp_port=int(smtp_port),
                        public_base_url="http://testserver", webhook_allow_hosts=["127.0.0.1"],
                        newsletter_sending_lease_s=0.0)
    engine = make_engine(db_url)
    install(step)
    report = run_newsletter(engine, settings, MatchRuntime(engine, settings, embedder=FakeEmbedder()))
    print(f"DONE {len(report.planned)} {dict(report.delivery.statuses) if report.delivery else {}}", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
