"""A tiny threaded HTTP server on 127.0.0.1 for the fake networks used in tests and demos.

Each fake (``otklik.sources.<net>.fake``) subclasses ``FakeServer`` and implements ``handle``;
the base gives: a free port, context-manager start/stop, a lock around state, and error
injection: ``inject(method, kind, times=1, **kw)`` makes the next ``times`` calls of ``method``
(or ``"*"``) fail as ``kind`` says — the subclass decides how each kind looks on its wire:
``rate_limit``, ``bad_token``, ``sleep`` (``seconds``), ``malformed`` (a body that is not JSON),
``http_500``, ``error`` (``code``, ``message``).
"""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Injection:
    method: str
    kind: str
    times: int
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Request:
    method: str  # HTTP verb
    path: str
    query: dict[str, str]
    form: dict[str, str]
    json: Any
    headers: dict[str, str]
    files: dict[str, bytes]
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200) -> Reply:
        return cls(status, json.dumps(data, ensure_ascii=False).encode())

    @classmethod
    def text(cls, text: str, status: int = 200) -> Reply:
        return cls(status, text.encode(), "text/plain; charset=utf-8")


class FakeServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host = host
        self.port = port
        self.lock = threading.RLock()
        self.injections: list[Injection] = []
        self.calls: list[tuple[str, dict[str, str]]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> FakeServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
                pass

            def setup(self) -> None:
                super().setup()
                # Headers and body go out in separate writes: without NODELAY each answer
                # waits for the client's delayed ACK (~40 ms).
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def _serve(self) -> None:
                request = _read_request(self)
                try:
                    reply = fake.dispatch(request)
                except Exception as exc:  # a bug in the fake must be visible, not a hang
                    reply = Reply.text(f"fake server error: {exc!r}", 500)
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(reply.body)

            do_GET = do_POST = _serve

        self._httpd = ThreadingHTTPServer((self.host, self.port), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def serve_forever(self) -> None:
        self.start()
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            self.stop()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- error injection ------------------------------------------------------------------------

    def inject(self, method: str, kind: str, times: int = 1, **options: Any) -> None:
        with self.lock:
            self.injections.append(Injection(method, kind, times, options))

    def take_injection(self, method: str) -> Injection | None:
        with self.lock:
            for injection in self.injections:
                if injection.method in (method, "*") and injection.times > 0:
                    injection.times -= 1
                    if injection.times == 0:
                        self.injections.remove(injection)
                    return injection
        return None

    def count_calls(self, method: str) -> int:
        with self.lock:
            return sum(1 for name, _ in self.calls if name == method)

    def dispatch(self, request: Request) -> Reply:
        raise NotImplementedError


def _read_request(handler: BaseHTTPRequestHandler) -> Request:
    split = urlsplit(handler.path)
    query = dict(parse_qsl(split.query, keep_blank_values=True))
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length) if length else b""
    ctype = handler.headers.get("Content-Type", "")
    form: dict[str, str] = {}
    files: dict[str, bytes] = {}
    payload: Any = None
    if ctype.startswith("application/x-www-form-urlencoded"):
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif ctype.startswith("application/json"):
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            payload = None
    elif ctype.startswith("multipart/form-data"):
        form, files = _parse_multipart(ctype, body)
    return Request(
        handler.command,
        split.path,
        query,
        form,
        payload,
        {k.lower(): v for k, v in handler.headers.items()},
        files,
        body,
    )


def _parse_multipart(ctype: str, body: bytes) -> tuple[dict[str, str], dict[str, bytes]]:
    from email.parser import BytesParser
    from email.policy import HTTP

    message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {ctype}\r\n\r\n".encode() + body)
    form: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        if part.get_filename():
            files[str(name)] = data
        else:
            form[str(name)] = data.decode("utf-8")
    return form, files


def standalone_parser(description: str, default_port: int) -> argparse.ArgumentParser:
    """The options every fake takes when run standalone (``python -m otklik.sources.<net>.fake``)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--port", type=int, default=default_port)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", choices=["demo", "none"], default="demo")
    return parser


def serve_until_stopped(fake: FakeServer, banner: Callable[[], str]) -> None:
    """Start ``fake``, print its banner (made after start: the port is known then), serve until interrupted."""
    fake.start()
    print(banner(), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()
