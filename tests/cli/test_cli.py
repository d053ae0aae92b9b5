"""The command line as a user runs it: real processes, exit code 2 with one sentence on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(args: list[str], tmp: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FOERDERMATCH_DATA_DIR": str(tmp), "FOERDERMATCH_EMBEDDING_MODEL": "none-for-cli-tests"}
    env.pop("FOERDERMATCH_DATABASE_URL", None)
    return subprocess.run([sys.executable, "-m", "cli.main", *args], cwd=REPO, env=env, input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_version_and_usage_errors(tmp_path: Path) -> None:
    assert run(["--version"], tmp_path).stdout.startswith("foerdermatch ")
    bad = run(["catalog", "frobnicate"], tmp_path)
    assert bad.returncode == 2


def test_load_list_show_export(tmp_path: Path) -> None:
    loaded = run(["catalog", "load"], tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    listed = json.loads(run(["catalog", "list", "--json"], tmp_path).stdout)
    assert len(listed) >= 70 and {"id", "title", "status", "url"} <= set(listed[0])
    again = run(["catalog", "load"], tmp_path)
    assert "0 new, 0 changed" in again.stdout
    shown = json.loads(run(["catalog", "show", listed[0]["id"], "--json"], tmp_path).stdout)
    assert shown["id"] == listed[0]["id"] and shown["versions"][0]["version"] == 1
    missing = run(["catalog", "show", "gibt-es-nicht"], tmp_path)
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "gibt-es-nicht" in missing.stderr


def test_invalid_snapshot_and_profile_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('[{"id": "x-y", "source": "curated"}]')
    r = run(["catalog", "load", str(broken)], tmp_path)
    assert r.returncode == 2 and "entry x-y" in r.stderr and "field" in r.stderr
    profile = tmp_path / "p.json"
    profile.write_text(json.dumps({"applicant": {"type": "kommune"}, "partners": [{"country": "Atlantis"}],
                                   "project": {"idea": "Wasser"}}))
    r = run(["match", "--profile", str(profile)], tmp_path)
    assert r.returncode == 2 and "partners.0.country" in r.stderr and r.stderr.count("\n") == 1
    r = run(["match", "--profile", str(tmp_path / "fehlt.json")], tmp_path)
    assert r.returncode == 2 and "Cannot read" in r.stderr


@pytest.mark.slow
def test_match_single_and_batch_keep_order(tmp_path: Path) -> None:
    assert run(["catalog", "load"], tmp_path).returncode == 0
    ghana = {"id": "a", "applicant": {"type": "kommune"}, "partners": [{"country": "GH"}],
             "project": {"idea": "Abfallwirtschaft mit der Partnerstadt in Ghana", "budget_eur": 80000}}
    france = {"id": "b", "applicant": {"type": "verein"}, "partners": [{"country": "Frankreich"}],
              "project": {"idea": "Jugendbegegnung mit unserer französischen Partnerstadt"}}
    single = run(["match", "--profile", "-", "--json", "--top", "3"], tmp_path, stdin=json.dumps(ghana))
    assert single.returncode == 0, single.stderr
    body = json.loads(single.stdout)
    assert body["id"] == "a" and len(body["matches"]) == 3
    assert {"eligibility", "own_contribution", "why", "next_deadline"} <= set(body["matches"][0])
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(ghana) + "\n" + json.dumps(france) + "\n")
    lines = run(["match", "--batch", str(batch), "--json", "--top", "2"], tmp_path).stdout.splitlines()
    assert [json.loads(x)["id"] for x in lines] == ["a", "b"]
