"""The test run's settings: the real settings, with a throwaway secret key.

Everything else (DATABASE_URL, REDIS_URL, ...) still comes from the
environment, so the same suite runs on SQLite and on PostgreSQL.

Each run gets its own id, inherited by the processes it starts: its own cache
key prefix and its own PostgreSQL test database, so two runs on one machine
(two checkouts, or CI beside a developer) never see each other's data.
"""

import os
import tempfile
import uuid

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
TEST_RUN_ID = os.environ.setdefault("ZUNDAPOD_TEST_RUN", uuid.uuid4().hex[:12])
os.environ.setdefault("CACHE_KEY_PREFIX", f"zundapod-test-{TEST_RUN_ID}")

from .settings import *  # noqa: E402, F403

# clear() deletes this run's keys only (Django's RedisCache.clear() is FLUSHDB).
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":  # noqa: F405
    CACHES["default"]["BACKEND"] = "tests.scoped_cache.ScopedRedisCache"  # noqa: F405
# The embedded default's file cache: a folder of this run's own (its clear() empties the folder).
if CACHES["default"]["BACKEND"] == "episodes.serving.file_cache.FileCache":  # noqa: F405
    CACHES["default"]["LOCATION"] = os.path.join(tempfile.gettempdir(), f"zundapod-test-cache-{TEST_RUN_ID}")  # noqa: F405
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_zundapod_{TEST_RUN_ID}"}  # noqa: F405

# Tests render templates without running collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The tests' audio servers listen on loopback (tests/media/test_remote_audio.py checks the refusal itself).
PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = True
