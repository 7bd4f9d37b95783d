"""Public pages for listeners from ready bytes (episodes/serving/page_cache.py)."""

import gzip
import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from episodes.catalogue.models import Episode
from episodes.serving import page_cache
from tests.factories import make_daily_show, make_episode

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
    # Compressed like every HTML page (episodes/serving/compression.py), but made afresh: no validator.
    compressed = client.get("/letters/", HTTP_ACCEPT_ENCODING="gzip")
    assert compressed["Content-Encoding"] == "gzip" and "ETag" not in compressed


def _entries() -> int:
    return len(page_cache.store._memory)


def test_unknown_query_parameters_share_the_page_entry(client, show, django_assert_max_num_queries):
    page_cache.store.forget()
    first = client.get("/")
    with django_assert_max_num_queries(1):
        tagged = client.get("/?utm_source=x&fbclid=123")
    assert tagged.content == first.content
    assert tagged["ETag"] == first["ETag"]
    assert client.get("/?page=01&utm_source=y")["ETag"] == first["ETag"]
    assert _entries() == 1


def test_distinct_page_and_number_spellings_add_no_entries(client, show):
    """Issue 24 item 5: /?page=1000.., /episode/0001.. each rendered and kept a 24 h entry."""
    for path in ("/", "/?page=1", "/episode/2", "/shows/daily/", "/shows/", "/archive/"):
        assert client.get(path).status_code == 200
    before = _entries()
    shared_before = _shared_entries()
    statuses = set()
    for n in range(300):
        statuses.add(client.get(f"/?page={1000 + n}").status_code)
        statuses.add(client.get(f"/shows/daily/?page={2 + n}").status_code)
        statuses.add(client.get("/episode/" + "0" * (1 + n % 40) + "2").status_code)
        statuses.add(client.get(f"/archive/?page=x{n}").status_code)
        statuses.add(client.get(f"/shows/?page={n}").status_code)  # not paginated: the page is ignored
        statuses.add(client.get(f"/?ref={n}").status_code)
    assert statuses == {200, 301, 404}
    assert _entries() == before
    assert _shared_entries() == shared_before


def _shared_entries() -> int:
    """Entries of this run in the shared cache (the file cache's files, or the run's Redis keys)."""
    backend = cache._cache if hasattr(cache, "_cache") else None
    if backend is not None and hasattr(backend, "get_client"):
        client = backend.get_client(write=False)
        return sum(1 for _ in client.scan_iter(match=cache.make_key("zundapod:page:*") + "*"))
    return len(cache._list_cache_files())


def test_out_of_range_and_malformed_pages_are_404(client, show, settings):
    settings.EPISODES_PER_PAGE = 1
    assert client.get("/?page=3").status_code == 200
    for query in ("?page=4", "?page=0", "?page=-1", "?page=abc", "?page=1.5"):
        assert client.get("/" + query).status_code == 404, query


def test_zero_padded_numbers_redirect_to_the_canonical_address(client, show):
    response = client.get("/episode/0002?utm_source=x")
    assert response.status_code == 301
    assert response["Location"] == "/episode/2?utm_source=x"
    assert client.get("/archive/2024/01/").status_code in (301, 404)


def test_settings_changed_while_running_are_seen(client, show, settings):
    settings.EPISODES_PER_PAGE = 1
    assert client.get("/").text.count("放送 ") < 3
    settings.EPISODES_PER_PAGE = 20
    assert all(f"放送 {n}" in client.get("/").text for n in range(1, 4))


def test_unknown_host_is_refused_even_when_cached(client, show):
    client.get("/")
    assert client.get("/", HTTP_HOST="evil.example.com").status_code == 400
