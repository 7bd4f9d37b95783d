"""The go-live rehearsal on the station's real archive: import, then the gate (episodes/publishing/cutover.py).

Runs only when ZUNDAPOD_REAL_ARCHIVE names a checkout of the old site's repository (its MP3s
replaced by short stand-ins; ZUNDAPOD_REAL_ARCHIVE_AUDIO, optional, is where they are). Nothing
of it is copied into the project. The figures are the issue's "Done when" points.
"""

import io
import json
import os
import re
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit
from xml.etree import ElementTree

import pytest
from django.core.management import call_command
from PIL import Image

from episodes.catalogue.models import AiringSlot, Episode, LinkedArticle, Show
from episodes.feeds.rss import ITUNES_NS
from episodes.publishing.cutover import NEEDS_NETWORK

ARCHIVE = os.environ.get("ZUNDAPOD_REAL_ARCHIVE", "")
AUDIO = os.environ.get("ZUNDAPOD_REAL_ARCHIVE_AUDIO", "")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (ARCHIVE and (Path(ARCHIVE) / "_config.yml").is_file()),
        reason="set ZUNDAPOD_REAL_ARCHIVE to a checkout of the old site's repository to rehearse on it",
    ),
]


def report(*args) -> tuple[int, dict]:
    out = io.StringIO()
    try:
        call_command("cutover_report", ARCHIVE, "--json", *args, stdout=out)
    except SystemExit as exc:
        return exc.code, json.loads(out.getvalue())
    return 0, json.loads(out.getvalue())


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def local(url: str) -> str:
    """The path of one of this site's URLs (absolute in feeds), "" for another host's."""
    parts = urlsplit(url)
    return parts.path if not parts.netloc or parts.netloc == "testserver" else ""


@pytest.fixture
def rehearsed(settings):
    settings.SITE_URL = "http://testserver"
    audio = ["--audio-root", AUDIO] if AUDIO else []
    call_command("import_jekyll", ARCHIVE, *audio, stdout=io.StringIO(), stderr=io.StringIO())


def test_the_gate_passes_but_for_the_network(rehearsed):
    code, result = report()
    assert code == 1 and {p["kind"] for p in result["problems"]} <= NEEDS_NETWORK
    assert result["urls_ok"] == result["urls_checked"]
    code, result = report("--offline")
    assert code == 0 and result["ready"]
    assert result["articles_stored"] >= 1982 and LinkedArticle.objects.count() >= 1982


def test_four_shows_and_the_week(rehearsed):
    assert Show.objects.count() == 4
    assert sorted(AiringSlot.objects.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4]


def test_every_feed_carries_artwork_apple_accepts(rehearsed, client):
    feeds = ["/feed.xml", *(f"/shows/{show.slug}/feed.xml" for show in Show.objects.public())]
    for feed in feeds:
        channel = ElementTree.fromstring(body(client.get(feed))).find("channel")
        href = channel.find(f"{{{ITUNES_NS}}}image").get("href")
        with Image.open(BytesIO(body(client.get(local(href), follow=True)))) as art:
            assert art.mode == "RGB" and art.width == art.height and 1400 <= art.width <= 3000, (feed, href)


def test_no_broken_image_on_a_sample_of_pages(rehearsed, client):
    episodes = list(Episode.objects.published().order_by("number"))
    pages = {e.get_absolute_url() for e in episodes[::25] + episodes[-5:]}
    pages |= {show.get_absolute_url() for show in Show.objects.public()} | {"/"}
    for page in sorted(pages):
        html = client.get(page).content.decode()
        for src in re.findall(r'<img[^>]*\ssrc="([^"]+)"', html):
            if path := local(src):
                assert client.get(path, follow=True).status_code == 200, (page, src)
    main = Show.objects.get(name="株式会社ずんだもん技術室AI放送局")
    assert 'class="artwork"' in client.get(main.get_absolute_url()).content.decode()
