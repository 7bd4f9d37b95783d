"""Public pages for listeners from ready bytes (episodes/page_cache.py)."""

import gzip
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from episodes.models import Episode

from .factories import make_daily_show, make_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def show():
    return make_daily_show()


PAGES = [
    "/",
    "/?page=1",
    "/shows/",
    "/shows/daily/",
    "/archive/",
    "/episode/2",
    "/subscribe/",
    "/shows/daily/subscribe/",
]


@pytest.mark.parametrize("path", PAGES)
def test_second_request_costs_one_query(client, show, path, django_assert_max_num_queries):
    first = client.get(path)
    assert first.status_code == 200
    with django_assert_max_num_queries(1):
        again = client.get(path)
    assert again.content == first.content
    assert again["ETag"] == first["ETag"] and again["Last-Modified"]


@pytest.mark.parametrize("path", PAGES)
def test_304_renders_nothing(client, show, path, django_assert_max_num_queries):
    etag = client.get(path)["ETag"]
    with django_assert_max_num_queries(1):
        assert client.get(path, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_gzip_for_clients_that_accept_it(client, show):
    plain = client.get("/")
    zipped = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert "Accept-Encoding" in zipped["Vary"]
    assert zipped["Content-Length"] == str(len(zipped.content))
    # The headers the inner middleware set come along.
    assert zipped["Content-Security-Policy"] == plain["Content-Security-Policy"]
    assert zipped["X-Frame-Options"] == "DENY"


def test_an_edit_shows_at_once(client, show):
    assert "放送 2" in client.get("/episode/2").text
    episode = Episode.objects.get(number=2)
    episode.title = "直した題名"
    episode.save()
    assert "直した題名" in client.get("/episode/2").text


def test_scheduled_episode_appears_when_due_with_no_write(client, show):
    due = timezone.now() + timedelta(seconds=1)
    make_episode(show=show, number=9, title="予約の回", published_at=due)
    before = client.get("/")
    assert "予約の回" not in before.text
    # Time passes, nothing is written.
    time.sleep(max((due - timezone.now()).total_seconds(), 0) + 0.05)
    after = client.get("/", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and "予約の回" in after.text


def test_staff_bypass_and_see_drafts(admin_client, client, show):
    make_episode(show=show, number=7, status=Episode.Status.DRAFT, title="下書きの回")
    assert client.get("/episode/7").status_code == 404
    staff = admin_client.get("/episode/7")
    assert staff.status_code == 200 and "下書きの回" in staff.text
    assert "ETag" not in staff
    assert client.get("/episode/7").status_code == 404


def test_letters_form_and_search_are_never_cached(client, show):
    for path in ("/letters/", "/search/?q=放送"):
        client.get(path)
        response = client.get(path)
        assert "ETag" not in response
    form = client.get("/letters/")
    assert "csrfmiddlewaretoken" in form.text
    # Compressed like every HTML page (episodes/compression.py), but made afresh: no validator.
    compressed = client.get("/letters/", HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip" and "ETag" not in compressed


def test_other_query_strings_are_not_cached(client, show):
    client.get("/?utm_source=x")
    assert "ETag" not in client.get("/?utm_source=x")


def test_settings_changed_while_running_are_seen(client, show, settings):
    settings.EPISODES_PER_PAGE = 1
    assert client.get("/").text.count("放送 ") < 3
    settings.EPISODES_PER_PAGE = 20
    assert all(f"放送 {n}" in client.get("/").text for n in range(1, 4))


def test_unknown_host_is_refused_even_when_cached(client, show):
    client.get("/")
    assert client.get("/", HTTP_HOST="evil.example.com").status_code == 400
