"""With REDIS_URL, the cache is shared by every process: built feeds and the letters rate limit.

Runs only when asked: set REDIS_URL (`make test-postgres` does). Keys carry the
run's own prefix, and clearing removes only those, so a shared Redis is safe.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache

from episodes.feeds import cache as feed_cache
from episodes.feeds import rss as feeds
from episodes.letters import inbox as letters
from tests.factories import make_episode, make_show

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not REDIS_URL, reason="needs a Redis server: set REDIS_URL (make test-postgres does)"),
]


def other_process(code: str) -> str:
    """Run Django code in a separate Python process on the same Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zundapod.settings_test",
        "REDIS_URL": REDIS_URL,
        "ZUNDAPOD_ENV_FILE": "/nonexistent",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{code}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout.strip()


def test_clearing_leaves_other_runs_keys_alone():
    """Two runs (or a site and a run) share one Redis: clear() removes only this run's keys."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    neighbour = f"zundapod-test-neighbour-{os.getpid()}:1:feed"
    client.set(neighbour, b"theirs", ex=60)
    try:
        cache.set("mine", "ours")
        cache.clear()
        assert cache.get("mine") is None
        assert client.get(neighbour) == b"theirs"
    finally:
        client.delete(neighbour)


def test_a_built_feed_is_in_the_shared_cache(client):
    show = make_show(slug="daily")
    make_episode(show=show)
    response = client.get("/shows/daily/feed.xml")
    key = feed_cache.store.cache_key(feeds.ready_key("/shows/daily/feed.xml"))
    body = other_process(
        f"from django.core.cache import cache\nvalue = cache.get({key!r})\n"
        "print(value.etag, len(value.plain), len(value.gzipped))"
    )
    etag, plain, gzipped = body.split()
    assert etag == response["ETag"]
    assert int(plain) == len(response.content) and 0 < int(gzipped) < int(plain)


def test_the_letters_rate_limit_is_shared(settings):
    settings.LETTERS_RATE_LIMIT = 3
    sender = letters.client_hash("203.0.113.7")
    slots = [letters.take_slot(sender) for _ in range(3)]
    assert all(slots)
    # Another app server sees the same sender as already at the limit.
    out = other_process(
        "from django.conf import settings\nsettings.LETTERS_RATE_LIMIT = 3\n"
        f"from episodes.letters import inbox as letters\nprint(letters.take_slot({sender!r}))"
    )
    assert out == "None"
