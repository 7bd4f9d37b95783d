"""Oversized bodies against `make run`'s real server: refused before the server reads them (issue 24, finding 3).

uvicorn serves zundapod.asgi.application as `make run` does (httptools,
uvloop), its HTTP protocol counting every byte it takes off each
connection's socket; a raw client pushes a 600 MB GET or a 200 MB
unauthenticated API POST as fast as the server lets it, and the test
asserts the answer and how little the server read.
"""

import select
import socket
import threading
import time

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

pytestmark = pytest.mark.django_db(transaction=True)

MB = 1024 * 1024
MAX_READ = 64 * 1024
# One read of the server's event loop (uvloop and asyncio take up to 256 KB off a socket at once).
ONE_SOCKET_READ = 256 * 1024


class CountingProtocol(HttpToolsProtocol):
    """uvicorn's HTTP protocol, counting the bytes it read from each connection."""

    connections: list["CountingProtocol"] = []

    def connection_made(self, transport) -> None:
        self.read = 0
        type(self).connections.append(self)
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.read += len(data)
        super().data_received(data)


@pytest.fixture(scope="module")
def server():
    from zundapod.asgi import application

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(application, http=CountingProtocol, lifespan="off", log_level="warning")
    asgi = uvicorn.Server(config)
    thread = threading.Thread(target=asgi.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not asgi.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield sock.getsockname()
    asgi.should_exit = True
    thread.join(timeout=10)
    sock.close()


def push(address, head: str, length: int, *, glued: bool = False) -> tuple[bytes, int, int]:
    """Send `head`, then up to `length` body bytes as fast as the server takes them; the answer, bytes sent and read.

    The body follows once the head has reached the server, as over any real
    network; `glued` sends the head and the first 256 KB in one write instead.
    """
    chunk = b"x" * (64 * 1024)
    known = len(CountingProtocol.connections)
    client = socket.create_connection(address, timeout=10)
    client.sendall(head.encode() + (chunk * 4 if glued else b""))
    sent = len(chunk) * 4 if glued else 0
    deadline = time.monotonic() + 10
    while len(CountingProtocol.connections) == known or CountingProtocol.connections[known].read < len(head):
        assert time.monotonic() < deadline, "the server never read the request head"
        time.sleep(0.001)
    connection = CountingProtocol.connections[known]
    client.setblocking(False)
    answer = b""
    while time.monotonic() < deadline:
        readable, writable, _ = select.select([client], [client] if sent < length else [], [], 0.5)
        if writable:  # the body goes out at once, without waiting for an answer
            try:
                sent += client.send(chunk[: length - sent])
            except (BlockingIOError, ConnectionError):
                writable = []
        if readable and not writable:
            try:
                data = client.recv(65536)
            except ConnectionResetError:
                break
            answer += data
            if not data or b"\r\n\r\n" in answer:
                break
    client.close()
    return answer, sent, connection.read


def test_a_600_mb_get_is_refused_having_read_at_most_64_kb(server):
    length = 600 * MB
    head = f"GET /search/?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n"
    answer, sent, read = push(server, head, length)
    print(f"600 MB GET: {answer[:12]!r}; client pushed {sent:,} body bytes, server read {read:,} bytes")
    assert answer.startswith(b"HTTP/1.1 413")
    assert read <= MAX_READ


@pytest.mark.parametrize("path", ["/api/v1/episodes", "/api/nonexistent"])
def test_a_200_mb_api_post_without_a_token_is_401_having_read_at_most_64_kb(server, path):
    length = 200 * MB
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {length}\r\n\r\n"
    )
    answer, sent, read = push(server, head, length)
    print(f"200 MB POST {path}: {answer[:12]!r}; client pushed {sent:,} body bytes, server read {read:,} bytes")
    assert answer.startswith(b"HTTP/1.1 401")
    assert read <= MAX_READ


def test_a_body_glued_to_the_head_costs_at_most_the_read_that_brought_the_head(server):
    """The server must read the head to decide; whatever body came in the same read is all it takes."""
    length = 600 * MB
    head = f"GET /search/?q=x HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n"
    answer, sent, read = push(server, head, length, glued=True)
    print(f"600 MB GET glued to its head: client pushed {sent:,} body bytes, server read {read:,} bytes")
    assert answer.startswith(b"HTTP/1.1 413")
    assert read <= ONE_SOCKET_READ + len(head)


def test_a_malformed_token_is_refused_like_none(server):
    length = 200 * MB
    head = (
        f"POST /api/v1/episodes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer zpd_forged\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
    )
    answer, sent, read = push(server, head, length)
    print(f"200 MB POST with a malformed token: {answer[:12]!r}; server read {read:,} bytes")
    assert answer.startswith(b"HTTP/1.1 401")
    assert read <= MAX_READ


def test_a_forged_token_costs_one_lookup_while_the_server_holds_the_body_at_its_high_water_mark(server):
    """A token of the right shape is looked up in a thread; meanwhile uvicorn stops reading past 64 KB buffered."""
    length = 200 * MB
    head = (
        f"POST /api/v1/episodes HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer zpd_{'x' * 43}\r\n"
        f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {length}\r\n\r\n"
    )
    answer, sent, read = push(server, head, length)
    print(f"200 MB POST with a forged token of the right shape: {answer[:12]!r}; server read {read:,} bytes")
    assert answer.startswith(b"HTTP/1.1 401")
    assert read <= MAX_READ + ONE_SOCKET_READ
