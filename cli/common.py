"""Shared CLI plumbing: settings, database, and the one way to fail on bad input (exit 2, one sentence)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from catalog.db import open_database
from config.settings import Settings, get_settings


class UsageError(Exception):
    """Bad input from the user; main() prints it as one sentence and exits with 2."""


def fail(message: str) -> NoReturn:
    raise UsageError(message)


def settings() -> Settings:
    return get_settings()


def database(s: Settings | None = None) -> Engine:
    s = s or settings()
    s.data_dir.mkdir(parents=True, exist_ok=True)
    return open_database(s.db_url)


def read_structured(path: str) -> Any:
    """JSON or YAML from a file ('-' for stdin)."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as e:
        fail(f"Cannot read {path}: {e.strerror}.")
    try:
        return json.loads(text) if text.lstrip().startswith(("{", "[")) else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError):
        fail(f"{path} is neither valid JSON nor valid YAML.")


def describe_validation(e: ValidationError, prefix: str = "") -> str:
    first = e.errors()[0]
    loc = ".".join(str(p) for p in first["loc"])
    return f"{prefix}field {loc or '(body)'}: {first['msg']}."


def print_json(obj: Any) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=2, default=str))
