"""Real HTTP servers running the project (uvicorn as `make run`, or WSGI), and a client that picks its address.

Not pytest-django's `live_server`: its thread answers files under MEDIA_URL
itself, so `episodes.site.media.serve_media` would never be reached. Clients bind
to any 127.0.0.x, so one test can be several listeners.
"""

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import Message

import uvicorn
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import QuietWSGIRequestHandler


@dataclass
class Reply:
    status: int
    headers: Message
    body: bytes


@dataclass
class LiveServer:
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, *, client: str = "127.0.0.1"
    ) -> Reply:
        """One request on its own connection, sent from the loopback address `client`."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=10, source_address=(client, 0))
        try:
            conn.request(method, path, headers=headers or {})
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def stalled_get(self, path: str) -> socket.socket:
        """A GET whose client reads the status line and then stops, as a phone that lost signal.

        Its receive buffer is tiny, so the server cannot push a large body into the kernel and
        forget it. The caller closes the socket.
        """
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect((self.host, self.port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        return sock


@contextmanager
def live_server(kind: str = "asgi", *, app=None) -> Iterator[LiveServer]:
    """Serve the project on 127.0.0.1 (a free port) in a thread for the duration of the block.

    `app` replaces Django's bare ASGI handler (say, wrapped as zundapod.asgi wraps it).
    """
    if kind == "wsgi":
        httpd = ThreadedWSGIServer(("127.0.0.1", 0), QuietWSGIRequestHandler, allow_reuse_address=False)
        httpd.set_app(WSGIHandler())
        thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        thread.start()
        try:
            yield LiveServer("127.0.0.1", httpd.server_port)
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=10)
        return
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app or ASGIHandler(), lifespan="off", log_level="warning", timeout_graceful_shutdown=1)
    asgi = uvicorn.Server(config)
    thread = threading.Thread(target=asgi.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not asgi.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield LiveServer("127.0.0.1", sock.getsockname()[1])
    finally:
        asgi.should_exit = True
        thread.join(timeout=10)
        sock.close()
