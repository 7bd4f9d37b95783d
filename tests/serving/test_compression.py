"""Every HTML response goes out gzip-compressed; audio and other bodies are left as they are."""

import gzip

import pytest
from django.urls import reverse

from tests.factories import make_episode

pytestmark = pytest.mark.django_db

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


@pytest.mark.parametrize(
    "path",
    [
        "/search/?q=%E9%87%8F%E5%AD%90",
        "/search/?q=nothing-matches-this",
        "/letters/",
        "/no-such-page/",
        "/",
    ],
)
def test_html_pages_are_compressed(client, path):
    make_episode(title="量子コンピューターの話", description="量子ビットの説明" * 20)
    response = client.get(path, **GZIP)
    assert response["Content-Type"].startswith("text/html")
    assert response["Content-Encoding"] == "gzip", path
    assert "Accept-Encoding" in response["Vary"]
    page = gzip.decompress(response.content).decode()
    assert "</html>" in page


def test_a_client_that_does_not_ask_gets_plain_html(client):
    response = client.get("/letters/")
    assert not response.has_header("Content-Encoding")
    assert b"</html>" in response.content


def test_audio_ranges_are_never_compressed(client):
    episode = make_episode()
    response = client.get(episode.audio_file.url, HTTP_RANGE="bytes=0-99", **GZIP)
    assert response.status_code == 206
    assert not response.has_header("Content-Encoding")
    assert response["Content-Length"] == "100"


def test_the_feed_keeps_its_own_compression(client):
    make_episode()
    response = client.get(reverse("episodes:feed"), **GZIP)
    assert response["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(response.streaming_content) if response.streaming else response.content).startswith(
        b"<?xml"
    )
