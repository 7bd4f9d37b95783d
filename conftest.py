"""Loaded before Django starts: the test run needs a key but no `.env`."""

import os

os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key-not-for-production-use-0123456789")
