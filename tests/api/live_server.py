"""Start ``python -m api`` (the documented command) on a free local port over a workspace, for live tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveApi:
    base: str
    log: list[str] = field(default_factory=list)  # the server's output, filled when it stops


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_api(home: Path, runner: str = "inline") -> Iterator[LiveApi]:
    port = _free_port()
    env = os.environ | {"DATAML_HOME": str(home), "DATAML_JOB_RUNNER": runner}
    process = subprocess.Popen(
        [sys.executable, "-m", "api", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    live = LiveApi(f"http://127.0.0.1:{port}")
    try:
        for _ in range(600):  # a minute: imports are slow on a loaded machine
            try:
                urllib.request.urlopen(f"{live.base}/api/v1/utils/health-check/", timeout=1)  # noqa: S310 (ours)
                break
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"the API exited: {process.communicate()[0]}")
                time.sleep(0.1)
        else:
            pytest.fail("the API did not start")
        yield live
    finally:
        process.terminate()
        try:
            live.log.append(process.communicate(timeout=30)[0])
        except subprocess.TimeoutExpired:  # a shutdown stuck on a request in flight: the log is what matters
            process.kill()
            live.log.append(process.communicate()[0])
