"""A throw-away PostgreSQL cluster for tests: initdb + pg_ctl on a temp dir and a free loopback port."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.processes import free_port


def server_bindir() -> Path | None:
    """Debian's server binaries (the client alone is not enough)."""
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(d, "initdb").exists() and Path(d, "pg_ctl").exists():
            return Path(d)
    found = shutil.which("pg_ctl")
    return Path(found).parent if found and shutil.which("initdb") else None


@dataclass
class Cluster:
    bindir: Path
    root: Path
    port: int
    as_user: str | None

    def _run(self, *cmd: str) -> None:
        prefix = ["runuser", "-u", self.as_user, "--"] if self.as_user else []
        subprocess.run([*prefix, *cmd], check=True, capture_output=True, cwd="/")

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://fm@127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        data = self.root / "data"
        self._run(str(self.bindir / "initdb"), "-D", str(data), "-U", "fm", "--auth=trust", "-E", "UTF8",
                  "--no-sync")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run(str(self.bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(self.root / "log"),
                  "-w", "start")

    def stop(self) -> None:
        try:
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster | None:
    bindir = server_bindir()
    if bindir is None:
        return None
    # initdb refuses to run as root: run the server as the 'postgres' user Debian's package creates.
    as_user = None
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            return None
        as_user = "postgres"
    root = Path(tempfile.mkdtemp(prefix="fm-pg-"))
    if as_user:
        os.chown(root, pw.pw_uid, pw.pw_gid)
    cluster = Cluster(bindir, root, free_port(), as_user)
    cluster.start()
    return cluster
