"""The temporary Prefect server a run uses when no PREFECT_API_URL is set: started by us, patiently, tied to us.

Prefect starts its ephemeral server lazily and gives it 20 seconds, which a busy machine
misses; a server left by a killed run keeps running. So the CLI starts Prefect's own
`SubprocessASGIServer` first (Prefect then reuses that instance), with a long time-out and
with the child asked by the kernel (PR_SET_PDEATHSIG) to stop when the CLI dies, even by SIGKILL.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable

TIMEOUT_VARIABLE = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = "300"
STARTING = "starting a temporary Prefect server (set PREFECT_API_URL to use a persistent one)…"
_PR_SET_PDEATHSIG = 1


class ServerStartError(RuntimeError):
    """The temporary server did not answer in time."""


def set_startup_timeout() -> None:
    """A generous start-up time-out unless one is set; before Prefect is imported, which reads it once."""
    os.environ.setdefault(TIMEOUT_VARIABLE, DEFAULT_TIMEOUT_SECONDS)


# Offline, the temporary server's telemetry fails and logs a trace ("database is locked" on its
# SQLite); GX would phone home too. The Makefile sets these; a bare `retaguarda` gets them here.
ANALYTICS_OFF = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false"}


def turn_analytics_off() -> None:
    """Prefect's and GX's analytics off unless the user set them; before Prefect or GX is imported."""
    for name, value in ANALYTICS_OFF.items():
        os.environ.setdefault(name, value)


def _die_with(parent: int) -> Callable[[], None]:
    def tie() -> None:
        """In the child, before exec: the kernel sends SIGTERM when the thread that started it ends."""
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the tie was made
            os._exit(1)

    return tie


def _server_class():
    from prefect.server.api.server import SubprocessASGIServer

    class TiedServer(SubprocessASGIServer):
        """Prefect's server process, tied to this process by `_die_with`; the command is Prefect's own."""

        def _run_uvicorn_command(self) -> subprocess.Popen:
            original = subprocess.Popen

            def popen(*args, **kwargs):
                return original(*args, preexec_fn=_die_with(os.getpid()), **kwargs)

            subprocess.Popen = popen  # only for this call: Prefect builds the command and environment
            try:
                return super()._run_uvicorn_command()
            finally:
                subprocess.Popen = original

    return TiedServer


def start_temporary_server(say: Callable[[str], None] = lambda line: print(line, file=sys.stderr)) -> str | None:
    """Start the temporary server if Prefect would need one; its API URL, or None when one is configured."""
    set_startup_timeout()
    from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_EPHEMERAL_ENABLED

    if PREFECT_API_URL.value() or not PREFECT_SERVER_EPHEMERAL_ENABLED.value():
        return None  # a persistent server, or none allowed: Prefect says so itself
    timeout = float(os.environ[TIMEOUT_VARIABLE])
    say(STARTING)
    server = _server_class()()  # Prefect's clients look up this same instance (port None)
    try:
        server.start(timeout=timeout)
    except RuntimeError as exc:
        server.stop()
        if "Timed out" not in str(exc):
            raise
        raise ServerStartError(
            f"the temporary Prefect server did not start within {timeout:g} s: raise {TIMEOUT_VARIABLE}, "
            "or start one with `prefect server start` and set PREFECT_API_URL"
        ) from exc
    return server.api_url
