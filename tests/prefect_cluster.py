"""A real Prefect server and process workers as subprocesses, with prefect.yaml deployed: for tests.

The server runs `prefect server start` on a free loopback port with its own PREFECT_HOME
(SQLite there unless `database_url` names another database, e.g. PostgreSQL). Each worker
polls the shared `default` queue and its own `worker-<i>` queue, so a test can send a run to
one worker. Every process starts its own session (process group); `kill_worker` SIGKILLs a
worker with every process below it, flow runs included (Prefect starts those in their own
sessions), as if its machine had died.
"""

from __future__ import annotations

import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POOL = "retaguarda-process"
_PR_SET_PDEATHSIG = 1
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "GX_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every live process below pid, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _die_with_us() -> None:
    """In the child, before exec: the kernel sends SIGTERM when the test process dies, even by SIGKILL."""
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _kill_tree(process: subprocess.Popen, sig: int) -> None:
    groups = {process.pid}
    for pid in descendants(process.pid):
        try:
            groups.add(os.getpgid(pid))
        except ProcessLookupError:
            pass
    for group in groups:
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            pass


def drain_services(seconds: float = 60) -> None:
    """Send this process's queued events and API logs now, while the server they are for is up.

    Left queued for a server that has stopped, they make the next drain wait for ever: Prefect's
    test harness drains every service at the end of the session, and the suite hung there."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (APILogWorker, EventsWorker):
        service.drain_all(timeout=seconds, at_exit=False)


class PrefectCluster:
    """Start with `with PrefectCluster(folder, workers=2, env={...}) as cluster:`; everything stops on exit."""

    def __init__(self, folder: Path, workers: int = 2, env: dict[str, str] | None = None,
                 database_url: str | None = None, startup_seconds: float = 300, worker_limit: int | None = None):
        self.folder = Path(folder)
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.startup_seconds = startup_seconds
        self.env = {
            **os.environ, **QUIET, **(env or {}),
            "PREFECT_HOME": str(self.folder / "prefect-home"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(self.port),
            "PREFECT_UI_ENABLED": "false",
            # pick runs up quickly: the default 10 s would be most of a small run's time
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_LOGGING_LEVEL": "INFO",
            # prefect.yaml's cron would start runs of its own for the current hour: tests start theirs
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        }
        if database_url:
            self.env["PREFECT_API_DATABASE_CONNECTION_URL"] = database_url
        self.worker_count = workers
        self.worker_limit = worker_limit  # runs one worker starts at once; None: as many as it sees
        self.server: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen | None] = []

    def _spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.folder / f"{name}.log").open("ab")
        return subprocess.Popen([sys.executable, "-m", "prefect", *args], cwd=ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=_die_with_us)

    def _prefect(self, *args: str) -> None:
        done = subprocess.run([sys.executable, "-m", "prefect", "--no-prompt", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=self.startup_seconds)
        if done.returncode:
            raise RuntimeError(f"prefect {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def log(self, name: str) -> str:
        path = self.folder / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> PrefectCluster:
        self.folder.mkdir(parents=True, exist_ok=True)
        try:
            self.server = self._spawn("server", "server", "start", "--host", "127.0.0.1", "--port", str(self.port))
            self._wait_healthy()
            self._create_pool()
            self._prefect("deploy", "--all")  # the README's command, reading prefect.yaml
            self.workers = [self.start_worker(i) for i in range(self.worker_count)]
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def client(self):
        """A synchronous Prefect client on this server, and this server as the process's API meanwhile."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        @contextmanager
        def session():
            with temporary_settings(updates={PREFECT_API_URL: self.api_url}), get_client(sync_client=True) as client:
                try:
                    yield client
                finally:
                    drain_services()

        return session()

    def _create_pool(self) -> None:
        # through the API rather than `prefect work-pool create`: each CLI call pays Prefect's import again
        from prefect.client.schemas.actions import WorkPoolCreate
        from prefect.workers.process import ProcessWorker

        with self.client() as client:
            client.create_work_pool(WorkPoolCreate(
                name=POOL, type="process", base_job_template=ProcessWorker.get_default_base_job_template()))

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + self.startup_seconds
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"the Prefect server exited:\n{self.log('server')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        raise RuntimeError(f"the Prefect server did not answer in {self.startup_seconds:g} s")

    def start_worker(self, i: int) -> subprocess.Popen:
        from prefect.exceptions import ObjectAlreadyExists

        # a worker told to poll a queue that does not exist polls none: it takes no run at all
        with self.client() as client:
            try:
                client.create_work_queue(name=f"worker-{i}", work_pool_name=POOL)
            except ObjectAlreadyExists:
                pass
        limit = ("--limit", str(self.worker_limit)) if self.worker_limit else ()
        return self._spawn(f"worker-{i}", "worker", "start", "--pool", POOL, "--name", f"worker-{i}",
                           "--work-queue", "default", "--work-queue", f"worker-{i}", *limit)

    def kill_worker(self, i: int) -> None:
        """SIGKILL worker i and every process below it, flow runs included."""
        worker = self.workers[i]
        _kill_tree(worker, signal.SIGKILL)
        worker.wait(timeout=30)
        self.workers[i] = None

    def set_workers(self, n: int) -> None:
        """Exactly n workers from now on."""
        self.stop_workers()
        self.workers = [self.start_worker(i) for i in range(n)]

    def stop_workers(self) -> None:
        _stop([*self.workers])
        self.workers = []

    def __exit__(self, *exc) -> None:
        _stop([*self.workers, self.server])


def _stop(processes: list[subprocess.Popen | None]) -> None:
    """SIGTERM each process tree, then SIGKILL what has not ended within 20 s."""
    for process in processes:
        if process is not None and process.poll() is None:
            _kill_tree(process, signal.SIGTERM)
    for process in processes:
        if process is None:
            continue
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            _kill_tree(process, signal.SIGKILL)
            process.wait(timeout=20)
