"""Helpers for tests (and benchmarks) that run real processes: free ports, stopping, crash children."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str], timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if the process has not ended in ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def halt(step: str) -> None:
    """In a crash child: report the step reached and wait there until the parent kills this process."""
    print(f"AT {step}", flush=True)
    threading.Event().wait()


def run_child(module_and_args: list[str], step: str, err_path: Path) -> str:
    """Run ``python -m <module> <args>``. Step "none": to its end, which must be clean. Any other step: until
    the child reports it (see ``halt``), then SIGKILL it. Returns what the child printed (or its report)."""
    with err_path.open("a") as err:
        proc = subprocess.Popen([sys.executable, "-m", *module_and_args], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=err, text=True)
    if step == "none":
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, err_path.read_text()
        return out
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if line.strip() != f"AT {step}":
        proc.kill()
        proc.wait()
        pytest.fail(f"child did not reach {step}: {line!r}\n{err_path.read_text()}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    return line
