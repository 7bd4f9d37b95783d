"""A locked raw-hits table delays no audio byte by more than a second (issue 24, finding 7).

On PostgreSQL (`make test-postgres`): another connection holds
`LOCK TABLE … ACCESS EXCLUSIVE` on the raw hits while real uvicorn serves
audio. The embedded SQLite default is measured by bench/analytics_lock.py
(a file database locked by another process), which this test's in-memory
database cannot be.
"""

import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from episodes.analytics import recording
from episodes.analytics.models import DownloadHit
from episodes.catalogue.models import Episode

from ..factories import make_episode
from ..live_servers import live_server

pytestmark = pytest.mark.django_db(transaction=True)

SIZE = 1_000_000
APPLE = "Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0"


@pytest.fixture
def episode():
    name = default_storage.save("audio/lock/ep.mp3", ContentFile(bytes(i % 251 for i in range(SIZE))))
    episode = make_episode(audio=False, audio_file=name)
    Episode.objects.filter(pk=episode.pk).update(audio_size=SIZE, audio_bitrate=64_000, audio_duration=125.0)
    return episode


@pytest.fixture
def locked_hits():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (make test-postgres); SQLite is measured by bench/analytics_lock.py")
    import psycopg

    recording.forget_waiting()
    params = connection.get_connection_params()
    other = psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "user", "password", "host", "port")})
    other.execute(f"LOCK TABLE {DownloadHit._meta.db_table} IN ACCESS EXCLUSIVE MODE")
    try:
        yield other
    finally:
        other.rollback()
        other.close()
        recording.forget_waiting()


def test_audio_goes_out_at_once_and_the_hits_wait(settings, episode, locked_hits):
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    slowest = 0.0
    with live_server("asgi") as server:
        for n in range(10):
            started = time.perf_counter()
            reply = server.request(
                "GET", episode.audio_file.url, client=f"127.0.0.{n + 2}", headers={"User-Agent": APPLE}
            )
            slowest = max(slowest, time.perf_counter() - started)
            assert reply.status == 200 and len(reply.body) == SIZE
        assert recording.waiting_hits() == 10
    print(f"slowest audio response with the raw-hits table locked: {slowest:.3f} s")
    assert slowest < 1.0
