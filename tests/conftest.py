"""Shared fixtures: every test writes media to its own temporary folder and starts with an empty cache."""

import pytest
from django.core.cache import cache

from episodes.serving.ready_bytes import forget_reading

from .audio_server import AudioServer, sample_files


@pytest.fixture(autouse=True)
def _isolated_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate limits, built feeds and the revision last read must not leak between tests (nor, with Redis, between runs)."""
    cache.clear()
    forget_reading()
    yield
    cache.clear()
    forget_reading()


@pytest.fixture
def ranged():
    """An HTTP server like cloud storage, serving real MP3s: HEAD, 206 and Content-Range."""
    with AudioServer(sample_files(), ranges=True) as server:
        yield server


@pytest.fixture
def plain():
    """An HTTP server that ignores Range (200 with the whole file) and refuses HEAD."""
    with AudioServer(sample_files(), ranges=False) as server:
        yield server
