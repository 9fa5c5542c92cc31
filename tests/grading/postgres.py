"""A real PostgreSQL server for the gradebook tests, started from Debian's binaries and stopped after.

Debian's `postgresql` package (.ci/run installs it) puts initdb and pg_ctl under
/usr/lib/postgresql/<version>/bin; its own service is not used. PostgreSQL refuses to run as
root, so as root the server runs as `nobody` from a data folder `nobody` owns. It listens on a
free loopback port only (no Unix socket), trusts loopback connections and skips fsync: a
throw-away server for one test module.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder, or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def require_postgres() -> Path:
    """The bin folder, or skip (fail where COURSE_REQUIRE_POSTGRES is set, as in CI)."""
    bindir = binaries()
    if bindir is None:
        if os.environ.get("COURSE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL이 없습니다: .ci/run 이 설치해야 합니다 (apt-get install postgresql).")
        pytest.skip("PostgreSQL이 없어 여러 채점자 성적부 시험을 건너뜁니다 (sudo apt-get install postgresql).")
    return bindir


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One PostgreSQL server on 127.0.0.1:`port`, superuser `postgres`, trust authentication."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.home = Path(tempfile.mkdtemp(prefix="gradebook-pg-", dir="/tmp"))
        self.data = self.home / "data"
        self.port = 0
        self.user = None  # run as this user (root cannot run PostgreSQL)
        if os.geteuid() == 0:
            self.user = "nobody"
            os.chmod(self.home, 0o755)
            os.chown(self.home, pwd.getpwnam("nobody").pw_uid, -1)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bindir / args[0]), *args[1:]], user=self.user, capture_output=True,
                              text=True, timeout=timeout, cwd=self.home)

    def start(self) -> "Server":
        proc = self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                         "--no-locale", "--no-sync")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        for _ in range(3):  # another process may take the free port first
            self.port = free_port()
            options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' "
                       "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60")
            proc = self._run("pg_ctl", "-D", str(self.data), "-l", str(self.home / "server.log"), "-w", "-t", "60",
                             "-o", options, "start", timeout=90)
            if proc.returncode == 0:
                return self
        raise AssertionError("PostgreSQL did not start:\n" + (self.home / "server.log").read_text(errors="replace")[-2000:])

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as con:
            con.execute(statement)

    def createdb(self, name: str) -> str:
        self.sql(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def dropdb(self, name: str) -> None:
        self.sql(f'DROP DATABASE "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.port:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.home, ignore_errors=True)


def use_database(course: Path, url: str) -> None:
    """Point `course`'s grader/grading.toml at `url` (replacing an earlier one), as an instructor would."""
    import re

    settings = course / "grader" / "grading.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    text = settings.read_text(encoding="utf-8") if settings.exists() else ""
    text = re.sub(r'\n\[gradebook\]\nurl = "[^"]*"\n', "", text)
    settings.write_text(text + f'\n[gradebook]\nurl = "{url}"\n', encoding="utf-8")
