"""With REDIS_URL, the cache is shared by every process: built feeds and the letters rate limit.

Needs a Redis server: REDIS_URL, or redis://127.0.0.1:6379/15 when one answers there.
"""

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache, caches

from episodes import letters

from .factories import make_episode, make_show

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_answers() -> bool:
    parts = urlsplit(REDIS_URL)
    try:
        with socket.create_connection((parts.hostname, parts.port or 6379), timeout=0.5):
            return True
    except OSError:
        return False


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not _redis_answers(), reason=f"needs a Redis server at {REDIS_URL} (set REDIS_URL)"),
]


@pytest.fixture(autouse=True)
def redis_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
    cache.clear()
    yield
    cache.clear()


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


def test_backend_is_djangos_redis_cache():
    assert type(caches["default"]).__name__ == "RedisCache"


def test_a_built_feed_is_in_the_shared_cache(client):
    show = make_show(slug="daily")
    make_episode(show=show)
    response = client.get("/shows/daily/feed.xml")
    key = f"zundapod:feed:{response['ETag'].strip('W/').strip(chr(34))}"
    body = other_process(
        f"from django.core.cache import cache\nvalue = cache.get({key!r})\nprint(len(value) if value else 0)"
    )
    assert int(body) > 500


def test_the_letters_rate_limit_is_shared(settings):
    settings.LETTERS_RATE_LIMIT = 3
    sender = letters.client_hash("203.0.113.7")
    slots = [letters.take_slot(sender) for _ in range(3)]
    assert all(slots)
    # Another app server sees the same sender as already at the limit.
    out = other_process(
        "from django.conf import settings\nsettings.LETTERS_RATE_LIMIT = 3\n"
        f"from episodes import letters\nprint(letters.take_slot({sender!r}))"
    )
    assert out == "None"
