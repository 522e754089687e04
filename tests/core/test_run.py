"""`hub run` on the embedded default: migrates, loads the demo, serves, accepts the demo login, stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys

import httpx
import pytest

from hub.cli import DEMO_LOGIN
from tests.conftest import DEMO_HISTORY_DAYS, wait_for


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_hub_run_starts_everything_and_stops_everything_on_ctrl_c(tmp_path):
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.update(HUB_VAR_DIR=str(tmp_path / "var"), HUB_DATABASE_URL=f"sqlite:///{tmp_path}/var/hub.runtime.db",
               HUB_PUBLIC_URL=f"http://127.0.0.1:{port}", HUB_DEMO_HISTORY_DAYS=DEMO_HISTORY_DAYS)
    log = (tmp_path / "run.log").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "hub.cli", "run", "--port", str(port)], env=env, stdout=log,
                               stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        def healthy() -> bool:
            try:
                return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(healthy, timeout=180, interval=0.3)  # a bound, not a goal: the demo makes its history first
        token = httpx.post(f"{base}/api/v1/auth/token", data={"username": DEMO_LOGIN[0], "password": DEMO_LOGIN[1]})
        assert token.status_code == 200
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        conversations = httpx.get(f"{base}/api/v1/conversations", headers=headers).json()["items"]
        assert len(conversations) >= 4
        assert httpx.get(f"{base}/readyz").status_code == 200
        printed = (tmp_path / "run.log").read_text()
        assert f"http://127.0.0.1:{port}/" in printed and DEMO_LOGIN[0] in printed
        phone = next(line.split(": ", 1)[1] for line in printed.splitlines() if "/sandbox/phone/" in line)
        assert httpx.get(phone).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    # every process it started is gone: nothing of its session is left running
    leftover = subprocess.run(["pgrep", "-s", str(process.pid)], capture_output=True, text=True).stdout.split()
    assert leftover == []
