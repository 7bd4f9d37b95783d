"""A dead shared cache or database: circuits, stale bytes and the 503 page (episodes/serving/outage.py).

The cache here is a real Redis client pointed at a port where nothing answers
(refused) or where nothing replies (a socket that never reads: timeouts).
The database stopping for real is in tests/faults/ (make test-faults).
"""

import socket
import time

import pytest
from django.db import OperationalError

from episodes.catalogue.models import Episode
from episodes.letters.models import Letter
from episodes.serving import outage
from tests.factories import make_daily_show

pytestmark = pytest.mark.django_db


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_at(settings, port: int) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
            "KEY_PREFIX": "zundapod-test-outage",
        }
    }


@pytest.fixture
def show():
    return make_daily_show()


@pytest.fixture
def dead_redis(settings):
    """Nothing listens on the port: every command is refused at once."""
    _redis_at(settings, _free_port())


@pytest.fixture
def silent_redis(settings):
    """A socket that takes connections and never replies: every command times out."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        _redis_at(settings, sock.getsockname()[1])
        yield


def test_pages_and_feeds_render_without_the_cache(client, show, dead_redis):
    """Issue 24 item 1: every page and feed answered 500 while Redis was down."""
    for path in ("/", "/episode/2", "/shows/daily/", "/feed.xml", "/shows/daily/feed.xml"):
        assert client.get(path).status_code == 200, path
    episode = Episode.objects.get(number=2)
    episode.title = "Redis が止まっていても直る題名"
    episode.save()
    assert "Redis が止まっていても直る題名" in client.get("/episode/2").text
    assert "Redis が止まっていても直る題名" in client.get("/feed.xml").text
    assert outage.shared_cache.is_open


def test_a_silent_cache_costs_one_timeout_then_the_circuit_answers(client, show, silent_redis):
    started = time.monotonic()
    assert client.get("/").status_code == 200
    first = time.monotonic() - started
    assert first < 2.5  # one socket timeout (1 s), not a hang
    started = time.monotonic()
    for path in ("/shows/", "/archive/", "/episode/1", "/feed.xml", "/subscribe/"):
        assert client.get(path).status_code == 200, path
    assert time.monotonic() - started < 3  # nobody waited on the dead cache again (5 timeouts: 5 s)


def test_a_letter_is_stored_without_the_cache(client, show, dead_redis):
    """The rate limit cannot be read without the cache: the letter is stored all the same (letters.py)."""
    letter = {"radio_name": "ずんだ餅", "message": "止まっていても届いてほしいお便りです。"}
    assert client.post("/letters/", letter).status_code == 302
    assert Letter.objects.get().message == letter["message"]


def test_while_the_database_is_out_cached_pages_are_stale_and_others_503(client, show, django_assert_num_queries):
    """Issue 24 item 2: once the revision could not be read, every page (cached ones too) was a 500."""
    first = {path: client.get(path).content for path in ("/", "/episode/2", "/feed.xml")}
    outage.database.trip(OperationalError("the database went away"))  # what a refused connection does
    with django_assert_num_queries(0):
        for path, content in first.items():
            response = client.get(path)
            assert response.status_code == 200 and response.content == content, path
        for path in ("/search/?q=ずんだ", "/episode/1", "/letters/", "/shows/"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
            assert "一時的に" in response.content.decode()
    assert outage.database.is_open  # stale answers did not pass for the database's return


class TestCircuit:
    def test_opens_on_failure_and_lets_one_trial_through_later(self):
        circuit = outage.Circuit("test", open_seconds=0.2)
        assert circuit.allows()
        circuit.trip(OSError("down"))
        assert not circuit.allows() and circuit.is_open
        time.sleep(0.25)
        assert circuit.trial_due()
        assert circuit.allows()  # the trial
        assert not circuit.allows()  # everyone else keeps the fast answer meanwhile
        circuit.succeeded()
        assert circuit.allows() and not circuit.is_open

    def test_a_failed_trial_opens_it_again(self):
        circuit = outage.Circuit("test", open_seconds=0.2)
        circuit.trip(OSError("down"))
        time.sleep(0.25)
        assert circuit.allows()
        circuit.trip(OSError("still down"))
        assert not circuit.allows()

    def test_the_503_page_says_when_to_come_back(self):
        response = outage.unavailable()
        assert response.status_code == 503
        assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)
        assert "もう一度お試しください" in response.content.decode()
        assert response["Cache-Control"] == "no-store"


def test_a_burst_that_outwaits_the_pool_is_not_an_outage():
    """Every pooled connection busy is a 503 for that request, not a circuit that refuses everyone."""
    from psycopg_pool import PoolTimeout

    busy = OperationalError("couldn't get a connection after 10.00 sec")
    busy.__cause__ = PoolTimeout("busy")  # as Django wraps what the pool raised
    assert not outage.is_outage(busy)
    assert outage.is_outage(OperationalError("connection refused"))
    outage.database.trip(OperationalError("connection refused"))
    assert outage.is_outage(busy)  # once connecting failed, a timeout is the outage too
