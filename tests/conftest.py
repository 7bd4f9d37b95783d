"""Shared fixtures: every test writes media to its own temporary folder and starts with an empty cache."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits and built feeds must not leak between tests (nor, with Redis, between runs)."""
    cache.clear()
    yield
    cache.clear()
