"""Connections go back as soon as a request no longer needs them (episodes/serving/release_database.py), over real HTTP."""

from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections

from tests.factories import make_episode
from tests.live_servers import live_server

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL (make test-postgres): SQLite's in-memory test database is one connection, never closed",
    ),
]

STALLED = 6


def connections_taken() -> int:
    """Connections someone holds: taken from the pool when there is one, else every other open one."""
    pool = connections["default"].pool
    if pool is not None:
        stats = pool.get_stats()
        return stats["pool_size"] - stats["pool_available"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.fixture
def server(settings):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    with live_server("asgi") as live:
        yield live


def test_stalled_downloads_give_their_connections_back(server):
    name = default_storage.save("audio/big/held.mp3", ContentFile(bytes(12 * 1024 * 1024)))
    make_episode(audio=False, audio_file=name)
    before = connections_taken()
    stalled = []
    try:
        for _ in range(STALLED):
            stalled.append(server.stalled_get(quote(default_storage.url(name))))
        # Each view looked the episode up and recorded a hit, then let its connection go.
        assert connections_taken() <= before
    finally:
        for sock in stalled:
            sock.close()


def missing(n: int) -> str:
    return f"/episode/{1000 + n}" if n % 2 else f"/media/audio/missing-{n}.mp3"


def test_error_pages_give_their_connections_back(server):
    make_episode(number=1)  # the 404 page's context reads the station and shows
    before = connections_taken()
    # One after another: each error-page thread kept its connection for good.
    assert [server.request("GET", missing(n)).status for n in range(30)] == [404] * 30
    assert connections_taken() <= before


def test_many_missing_pages_at_once_do_not_stall_the_pool(server):
    make_episode(number=1)
    # Each request held the connection of its lookup while its error page, in another
    # thread, waited for a second one: more at once than the pool holds stalled them all.
    with ThreadPoolExecutor(max_workers=40) as pool:
        statuses = list(pool.map(lambda n: server.request("GET", missing(n)).status, range(40)))
    assert statuses == [404] * 40
