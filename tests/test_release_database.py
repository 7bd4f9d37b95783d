"""A slow download holds no database connection (episodes/release_database.py), over real HTTP."""

import socket
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from .factories import make_episode
from .live_servers import live_server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (make test-postgres): SQLite's in-memory test database is one connection, never closed",
    ),
]

STALLED = 6


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def test_stalled_downloads_give_their_connections_back(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    name = default_storage.save("audio/big/held.mp3", ContentFile(bytes(12 * 1024 * 1024)))
    make_episode(audio=False, audio_file=name)
    stalled = []
    with live_server("asgi") as live:
        before = other_connections()
        try:
            for _ in range(STALLED):
                sock = socket.socket()
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
                sock.settimeout(10)
                sock.connect((live.host, live.port))
                request = f"GET {quote(default_storage.url(name))} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                sock.sendall(request.encode())
                assert sock.recv(1024).startswith(b"HTTP/1.1 200")
                stalled.append(sock)
            # Each view looked the episode up and recorded a hit, then let its connection go.
            assert other_connections() <= before
        finally:
            for sock in stalled:
                sock.close()
