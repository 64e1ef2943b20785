"""A throw-away PostgreSQL server for the tests: initdb in a temporary folder, stopped at the end.

The server binaries come from the machine (Debian's postgresql-15, or any `initdb` and `postgres`
on PATH or in /usr/local/bin). PostgreSQL refuses to run as root, so as root the server runs as
`nobody` (setpriv), with its data folder owned by it. It listens on 127.0.0.1 at a free port,
trusts local connections, and is gone when the session ends.

Use the `postgres_server` fixture (import it into the test module) or `PostgresServer` directly.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

USER = "retaguarda"
SEARCH = [Path("/usr/local/bin"), *Path("/usr/lib/postgresql").glob("*/bin")]


def _binary(name: str) -> str:
    found = shutil.which(name) or next((str(d / name) for d in SEARCH if (d / name).exists()), None)
    if found is None:  # a failure, not a skip: the shared-warehouse tests must run where the suite runs
        raise RuntimeError(f"PostgreSQL's {name} is not installed: apt-get install postgresql-15 (make test does)")
    return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in a temporary folder; `dsn(dbname)` is a libpq connection string."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="retaguarda-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        # as root, drop to nobody: initdb and postgres refuse to run as root
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            os.chown(self.folder, nobody.pw_uid, nobody.pw_gid)
            self.prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
        # the server stops when the test process dies, however it dies: no server outlives a killed session
        self.die_with_us = ["setpriv", "--pdeathsig", "TERM"] if shutil.which("setpriv") else []

    def start(self) -> PostgresServer:
        subprocess.run(
            [*self.prefix, _binary("initdb"), "-D", str(self.data), "-U", USER, "--auth=trust",
             "--encoding=UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, cwd=self.folder,
        )
        self.process = subprocess.Popen(
            [*(self.prefix or self.die_with_us), *(["--pdeathsig", "TERM"] if self.prefix else []),
             _binary("postgres"), "-D", str(self.data), "-p", str(self.port),
             "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=",
             "-c", "fsync=off", "-c", "max_connections=200"],
            stdout=subprocess.DEVNULL, stderr=(self.folder / "server.log").open("w"), cwd=self.folder,
        )
        self._wait_ready()
        return self

    def _wait_ready(self, seconds: float = 60) -> None:
        import psycopg

        deadline = time.monotonic() + seconds
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"postgres exited: {(self.folder / 'server.log').read_text()[-2000:]}")
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def dsn(self, dbname: str) -> str:
        return f"dbname={dbname} host=127.0.0.1 port={self.port} user={USER}"

    def url(self, dbname: str) -> str:
        """The database as an SQLAlchemy URL on asyncpg, as Prefect's server takes it."""
        return f"postgresql+asyncpg://{USER}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its connection string."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as con:
            con.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        return self.dsn(name)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # smart shutdown
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server for the whole session (per xdist worker)."""
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()
