"""The test run's settings: the real settings, with a throwaway secret key.

Everything else (DATABASE_URL, REDIS_URL, ...) still comes from the
environment, so the same suite runs on SQLite and on PostgreSQL.
"""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")

from .settings import *  # noqa: E402, F403

# Tests render templates without running collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True

# The tests' audio servers listen on loopback (tests/test_remote_audio.py checks the refusal itself).
PROBE_AUDIO_ALLOW_PRIVATE_HOSTS = True
