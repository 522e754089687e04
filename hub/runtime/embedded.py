"""The embedded Redis-compatible server used when HUB_REDIS_URL is unset (fakeredis over TCP).

It runs in its own process; its address is written to `var/embedded-redis.json` so that the API,
the workers and the CLI of one installation find the same server.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

STATE_FILE = "embedded-redis.json"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"*1\r\n$4\r\nPING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def running_url(var_dir: Path) -> str | None:
    """The URL of an embedded server already running for this installation."""
    state = var_dir / STATE_FILE
    try:
        port = int(json.loads(state.read_text())["port"])
    except (OSError, ValueError, KeyError):
        return None
    return f"redis://127.0.0.1:{port}/0" if _answers(port) else None


def start(var_dir: Path) -> tuple[str, subprocess.Popen[bytes]]:
    """Start a server in a child process and wait until it answers."""
    var_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "hub.runtime.embedded", str(port)])
    deadline = time.monotonic() + 15
    while not _answers(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the embedded Redis-compatible server did not start")
        time.sleep(0.05)
    (var_dir / STATE_FILE).write_text(json.dumps({"port": port, "pid": process.pid}))
    return f"redis://127.0.0.1:{port}/0", process


def _add_info_command() -> None:
    """RQ asks `INFO server` for the version; fakeredis has no INFO and drops the connection."""
    from fakeredis._commands import command
    from fakeredis._socket._fakesocket import FakeSocket

    def info(self: object, *sections: bytes) -> bytes:
        return b"# Server\r\nredis_version:7.2.0\r\nredis_mode:standalone\r\n"

    FakeSocket.info = command(name="INFO", fixed=(), repeat=(bytes,))(info)  # type: ignore[attr-defined]


def _handler_class() -> type:
    """fakeredis's TCP handler closes the connection after any error reply (NOSCRIPT, WRONGTYPE...);
    a real Redis answers the error and carries on, and redis-py and RQ rely on that."""
    import select as select_module

    from fakeredis._clients._tcp_server import TCPFakeRequestHandler

    class Handler(TCPFakeRequestHandler):
        # Replies go out in small writes: with Nagle on, each one after the first waited for the client's
        # delayed ACK (40 ms), so an RQ enqueue (MULTI ... EXEC) took 80 ms instead of 1.
        disable_nagle_algorithm = True

        def handle(self) -> None:
            while not self.server._shutdown_event.is_set():
                try:
                    if self.current_client.can_read():
                        self.writer.dump(self.current_client.read_response())
                        continue
                    data = self.rfile.readline()
                    if data == b"":
                        readable, _, _ = select_module.select([self.connection], [], [], 0.1)
                        if not readable:
                            continue
                        data = self.rfile.readline()
                        if data == b"":
                            break
                    self.current_client.get_socket().sendall(data)
                except ConnectionError:
                    break
                except Exception as error:  # an error reply, not a reason to hang up
                    self.writer.dump(error)

    return Handler


def serve(port: int) -> None:
    from fakeredis import TcpFakeServer

    _add_info_command()
    server = TcpFakeServer(("127.0.0.1", port))
    server.RequestHandlerClass = _handler_class()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]))
