"""Former show slugs answer 301 to the current addresses (page, subscribe page, feed); unknown ones 404.

Through the test client, so the page cache (episodes/serving/page_cache.py) and the feeds' ready
bytes are in the way, as they are for listeners.
"""

import io
from urllib.parse import quote
from xml.etree import ElementTree

import feedparser
import podcastparser
import pytest

from episodes.catalogue.models import Show
from episodes.feeds.rss import ITUNES_NS
from tests.factories import make_episode, make_show

pytestmark = pytest.mark.django_db

JAPANESE = "毎朝の番組"
OLD = f"/shows/{quote(JAPANESE)}"
MAX_QUERIES = 4  # the revision, the show (a miss), its former slug, and the scheduled times after a write


@pytest.fixture
def show(settings):
    settings.SITE_URL = "https://podcast.example.jp"
    show = make_show(name=JAPANESE, slug="daily")
    make_episode(show=show, number=1)
    show.remember_former_slug(JAPANESE)
    return show


def new_feed_url(body: bytes) -> str | None:
    element = ElementTree.fromstring(body).find(f"channel/{{{ITUNES_NS}}}new-feed-url")
    return None if element is None else element.text


class TestRedirects:
    @pytest.mark.parametrize(
        ("old", "new"),
        [
            (f"{OLD}/", "/shows/daily/"),
            (f"{OLD}/subscribe/", "/shows/daily/subscribe/"),
            (f"{OLD}/feed.xml", "/shows/daily/feed.xml"),
        ],
    )
    def test_every_address_of_the_japanese_slug_moves_permanently(self, client, show, old, new):
        response = client.get(old)
        assert response.status_code == 301
        assert response["Location"] == new
        assert client.get(response["Location"]).status_code == 200

    def test_the_query_string_comes_along(self, client, show):
        response = client.get(f"{OLD}/?page=1&utm_source=x")
        assert response.status_code == 301
        assert response["Location"] == "/shows/daily/?page=1&utm_source=x"

    def test_a_redirect_costs_a_few_queries(self, client, show, django_assert_max_num_queries):
        for path in (f"{OLD}/", f"{OLD}/subscribe/", f"{OLD}/feed.xml"):
            with django_assert_max_num_queries(MAX_QUERIES):
                assert client.get(path).status_code == 301

    def test_every_former_slug_goes_straight_to_the_current_one(self, client, show):
        show.slug = "morning"
        show.save()
        for old in (OLD, "/shows/daily"):
            response = client.get(f"{old}/feed.xml")
            assert (response.status_code, response["Location"]) == (301, "/shows/morning/feed.xml")

    @pytest.mark.parametrize("path", ["/shows/nothing/", "/shows/nothing/subscribe/", "/shows/nothing/feed.xml"])
    def test_an_unknown_slug_stays_404(self, client, show, path):
        assert client.get(path).status_code == 404

    def test_an_unannounced_show_is_not_revealed_by_its_former_slug(self, client, show):
        soon = make_show(name="準備中", slug="soon")
        soon.remember_former_slug("準備中")
        for path in (f"/shows/{quote('準備中')}/", f"/shows/{quote('準備中')}/feed.xml"):
            assert client.get(path).status_code == 404


class TestReadyBytesAfterAChange:
    """Only 200s are kept, and the revision moves with the slug: no stale page, 301 or 404 survives a change."""

    def test_a_page_served_from_ready_bytes_moves_when_the_slug_does(self, client, show):
        for path in ("/shows/daily/", "/shows/daily/subscribe/", "/shows/daily/feed.xml"):
            assert client.get(path).status_code == 200
            assert client.get(path).status_code == 200  # now from ready bytes
        show.slug = "morning"
        show.save()
        for path in ("/shows/daily/", "/shows/daily/subscribe/", "/shows/daily/feed.xml"):
            response = client.get(path)
            assert (response.status_code, response["Location"]) == (301, path.replace("daily", "morning"))

    def test_a_404_is_not_kept_for_a_slug_that_becomes_valid(self, client, show):
        for _ in range(2):
            assert client.get("/shows/morning/").status_code == 404
            assert client.get("/shows/morning/feed.xml").status_code == 404
        show.slug = "morning"
        show.save()
        assert client.get("/shows/morning/").status_code == 200
        assert client.get("/shows/morning/feed.xml").status_code == 200

    def test_a_301_is_not_kept_once_the_slug_is_current_again(self, client, show):
        show.slug = "morning"
        show.save()
        assert client.get("/shows/daily/").status_code == 301
        show.slug = "daily"
        show.save()
        assert client.get("/shows/daily/").status_code == 200
        assert client.get("/shows/morning/")["Location"] == "/shows/daily/"

    def test_a_former_slug_taken_by_another_show_is_that_show(self, client, show):
        show.slug = "morning"
        show.save()
        other = make_show(name="別の番組", slug="daily")
        make_episode(show=other, number=2)
        response = client.get("/shows/daily/")
        assert response.status_code == 200 and "別の番組" in response.text


class TestNewFeedUrl:
    def test_a_moved_feed_names_its_own_url(self, client, show):
        body = client.get("/shows/daily/feed.xml").content
        assert new_feed_url(body) == "https://podcast.example.jp/shows/daily/feed.xml"
        parsed = feedparser.parse(body)
        assert not parsed.bozo
        assert parsed.feed["itunes_new-feed-url"] == show.feed_url
        # gPodder's parser moves its subscription to it.
        assert podcastparser.parse(show.feed_url, io.BytesIO(body))["new_url"] == show.feed_url

    def test_a_feed_that_never_moved_and_the_station_feed_have_none(self, client, show):
        make_episode(show=make_show(name="Friday", slug="friday"), number=2)
        assert new_feed_url(client.get("/shows/friday/feed.xml").content) is None
        assert new_feed_url(client.get("/feed.xml").content) is None

    def test_it_appears_once_the_slug_changes(self, client, settings):
        settings.SITE_URL = "https://podcast.example.jp"
        show = make_show(name="Friday", slug="friday")
        make_episode(show=show, number=2)
        assert new_feed_url(client.get("/shows/friday/feed.xml").content) is None
        show.slug = "friday-talk"
        show.save()
        assert Show.objects.get(pk=show.pk).former_slugs.count() == 1
        body = client.get("/shows/friday-talk/feed.xml").content
        assert new_feed_url(body) == "https://podcast.example.jp/shows/friday-talk/feed.xml"


class TestLinks:
    def test_pages_link_to_the_short_ascii_feed(self, client, show):
        body = client.get("/shows/daily/subscribe/").text
        assert "https://podcast.example.jp/shows/daily/feed.xml" in body
        assert "/shows/%" not in body and "/shows/毎朝" not in body
