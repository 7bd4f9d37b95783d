"""The old static site's addresses answer 301 to where things live now."""

import socket
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from episodes.catalogue.models import Episode, LegacyPath
from tests.factories import make_episode, mp3_upload
from tests.live_servers import live_server

pytestmark = pytest.mark.django_db
OLD_NAME = "私立ずんだもん女学園放送部_podcast_20251121.mp3"


@pytest.fixture
def episode():
    episode = make_episode(number=371, audio=False, audio_file=mp3_upload("renamed.mp3"))
    LegacyPath.objects.create(path=f"/audio/{OLD_NAME}", episode=episode)
    return episode


@pytest.mark.parametrize("requested", [quote(OLD_NAME), OLD_NAME], ids=["percent-encoded", "raw"])
def test_old_audio_path_redirects_to_current_audio(client, episode, requested):
    response = client.get(f"/audio/{requested}")
    assert response.status_code == 301
    assert response["Location"] == episode.audio_src


def test_audio_redirect_follows_a_replaced_file(client, episode):
    episode.audio_file = mp3_upload("new.mp3")
    episode.save()
    assert client.get(f"/audio/{quote(OLD_NAME)}")["Location"] == episode.audio_src


def test_hidden_episode_audio_is_not_revealed(client, episode):
    Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.DRAFT)
    assert client.get(f"/audio/{quote(OLD_NAME)}").status_code == 404


def test_old_image_path(client):
    stored = default_storage.save("images/imported/abc/ojousama.jpg", ContentFile(b"x"))
    LegacyPath.objects.create(path="/images/ojousama_zundamon_square.jpg", target=stored)
    response = client.get("/images/ojousama_zundamon_square.jpg")
    assert response.status_code == 301
    assert response["Location"] == default_storage.url(stored)


def test_unknown_old_paths_are_404(client):
    assert client.get("/audio/nothing.mp3").status_code == 404
    assert client.get("/images/nothing.png").status_code == 404


def test_index_and_html_permalinks(client, episode):
    assert (client.get("/index.html").status_code, client.get("/index.html")["Location"]) == (301, "/")
    response = client.get("/episode/371.html")
    assert (response.status_code, response["Location"]) == (301, "/episode/371")


@pytest.fixture
def uvicorn_server(settings, episode):
    """The site as `make run` serves it (uvicorn), on a free port."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    with live_server("asgi") as live:
        yield live.port


def raw_get(port: int, target: bytes) -> bytes:
    """Send a request line exactly as given (no client library would send raw UTF-8)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.django_db(transaction=True)
class TestRawUtf8RequestLines:
    """Decided: the embedded server refuses raw non-ASCII request lines (400); encoded ones redirect."""

    def test_the_percent_encoded_old_path_redirects(self, uvicorn_server, episode):
        answer = raw_get(uvicorn_server, f"/audio/{quote(OLD_NAME)}".encode())
        assert answer.startswith(b"HTTP/1.1 301")

    def test_a_raw_utf8_request_line_is_a_clear_400(self, uvicorn_server):
        answer = raw_get(uvicorn_server, f"/audio/{OLD_NAME}".encode())
        assert answer.startswith(b"HTTP/1.1 400")
