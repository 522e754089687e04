"""A PostgreSQL server of a bench run's own: `initdb` into a folder, start, crash and recover, stop.

The chaos run (bench/chaos.py) restarts PostgreSQL while Hub works; the machine's shared server has other users,
so the run starts this one instead, on a free loopback port with trust authentication. `initdb` and `postgres`
refuse to run as root: when this runs as root, every command runs as the `postgres` OS user (`runuser`) and the
folder is given to it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "max_connections": "100",
    "shared_buffers": "'128MB'",
    "fsync": "on",  # a crash must not lose what was committed: that is what the restart tests
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "logging_collector": "off",
    "log_min_messages": "warning",
}


def find_binaries() -> Path | None:
    """The folder holding `initdb` and `pg_ctl` (BENCH_PG_BIN, Debian's newest, or on PATH); None without one."""
    candidates = [os.environ.get("BENCH_PG_BIN", "")]
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [str(p / "bin") for p in sorted(versions, key=lambda p: int(p.name), reverse=True)]
    on_path = shutil.which("pg_ctl")
    candidates.append(str(Path(on_path).parent) if on_path else "")
    for candidate in filter(None, candidates):
        folder = Path(candidate)
        if all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


@dataclass
class Server:
    """One PostgreSQL server in `folder` (data in `data/`, its log in `postgresql.log`) on 127.0.0.1:`port`."""

    binaries: Path
    folder: Path
    port: int
    started: bool = False

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "postgresql.log"

    @property
    def url(self) -> str:
        """The server's address without a database (append `/name`)."""
        return f"postgresql://postgres@127.0.0.1:{self.port}"

    def _run(self, *args: str, timeout: float = 180) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # output to a file, not a pipe: the server pg_ctl leaves behind must not hold our pipe open
        with (self.folder / "pg_ctl.log").open("ab") as out:
            done = subprocess.run([*as_postgres, *args], stdout=out, stderr=subprocess.STDOUT, cwd=self.folder,
                                  timeout=timeout, check=False)
        if done.returncode:
            tail = (self.folder / "pg_ctl.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{Path(args[0]).name} {' '.join(args[1:3])} failed ({done.returncode}):\n{tail}")

    def _pg_ctl(self, *args: str, timeout: float = 180) -> None:
        self._run(str(self.binaries / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", str(int(timeout)), *args, timeout=timeout + 10)

    def init(self) -> None:
        """Make the folder and an empty cluster in it (superuser `postgres`, trust on loopback only)."""
        self.folder.mkdir()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run(str(self.binaries / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # the cluster's own files: nothing to lose yet
        settings = {**SETTINGS, "port": str(self.port), "unix_socket_directories": f"'{self.folder}'"}
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# bench/postgres_server.py\n" + "".join(f"{k} = {v}\n" for k, v in settings.items()))

    def start(self) -> None:
        self.started = True  # from here on stop() has something to end, even if the start fails half-way
        self._pg_ctl("start")
        self.wait_ready()

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(f"{self.url}/postgres", connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    def crash_restart(self) -> tuple[float, bool]:
        """Stop without a checkpoint (`-m immediate`, as a crash) and start again: WAL recovery runs on start.

        Returns the seconds the server took no connections and whether its log shows the crash recovery.
        """
        logged = self.log.stat().st_size if self.log.exists() else 0
        began = time.monotonic()
        self._pg_ctl("-m", "immediate", "restart")
        self.wait_ready()
        down = time.monotonic() - began
        with self.log.open("rb") as log:
            log.seek(logged)
            recovered = b"automatic recovery in progress" in log.read()
        return down, recovered

    def stop(self) -> None:
        """Stop the server (quickly; immediately when that fails) and drop its data; the log stays."""
        if self.started:
            try:
                self._pg_ctl("-m", "fast", "stop", timeout=30)
            except (RuntimeError, subprocess.TimeoutExpired):
                self._kill_postmaster()
            self.started = False
        shutil.rmtree(self.data, ignore_errors=True)

    def _kill_postmaster(self) -> None:
        pidfile = self.data / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])  # this server's own postmaster, named by its data folder
        except (OSError, ValueError, IndexError):
            return
        try:
            os.kill(pid, signal.SIGQUIT)  # the postmaster's immediate shutdown: it ends its backends too
            time.sleep(2)
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
