"""A shop's webhook receiver on 127.0.0.1: answers 500 to its first `failures` requests, then 200 (calling
`on_request`, if given, as each request has arrived and before it is answered)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self, failures: int = 0, on_request: Callable[[], None] | None = None) -> None:
        self.failures = failures
        self.requests: list[tuple[dict[str, str], bytes, int]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                code = 500 if len(receiver.requests) < receiver.failures else 200
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body, code))
                if on_request:
                    on_request()
                answer = b'{"ok": false, "why": "database busy"}' if code == 500 else b'{"ok": true}'
                self.send_response(code)
                self.send_header("content-length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub-events"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
