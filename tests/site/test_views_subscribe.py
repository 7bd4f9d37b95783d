"""Subscribe pages, share buttons and the footer (issue 16)."""

import pytest
from django.utils.http import urlencode

from episodes.catalogue.models import Station
from episodes.catalogue.models.schedule import AiringSlot, Weekday
from tests.factories import make_actor, make_episode, make_show

pytestmark = pytest.mark.django_db

MAX_QUERIES = 8


@pytest.fixture
def shows(settings):
    settings.SITE_URL = "https://podcast.example.jp"
    daily = make_show(
        name="毎朝の番組",
        slug="daily",
        apple_podcasts_url="https://podcasts.apple.com/jp/podcast/id1",
        spotify_url="https://open.spotify.com/show/abc",
    )
    make_episode(show=daily, number=1)
    bare = make_show(name="金曜の番組", slug="friday")
    make_episode(show=bare, number=2)
    unannounced = make_show(name="準備中の番組", slug="soon", spotify_url="https://open.spotify.com/show/soon")
    return {"daily": daily, "bare": bare, "unannounced": unannounced}


class TestShowSubscribePage:
    def test_lists_the_apps_the_show_is_in_and_its_feed_url(self, client, shows, django_assert_max_num_queries):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get("/shows/daily/subscribe/")
        body = response.text
        assert response.status_code == 200
        assert 'href="https://podcasts.apple.com/jp/podcast/id1"' in body
        assert 'href="https://open.spotify.com/show/abc"' in body
        assert "Amazon Music" not in body  # not set for this show
        assert 'value="https://podcast.example.jp/shows/daily/feed.xml" readonly' in body
        assert 'data-copy="#feed-url-1"' in body

    def test_a_show_without_apps_still_gives_its_feed(self, client, shows):
        body = client.get("/shows/friday/subscribe/").text
        for listed in ("apple", "spotify", "youtube", "amazon"):
            assert f"subscribe-link--{listed}" not in body
        assert "https://podcast.example.jp/shows/friday/feed.xml" in body

    def test_apps_that_take_a_feed_url_get_a_button_each(self, client, shows):
        body = client.get("/shows/friday/subscribe/").text
        feed = "podcast.example.jp/shows/friday/feed.xml"
        assert f'href="pktc://subscribe/{feed}"' in body
        assert (
            'href="overcast://x-callback-url/add?url=https%3A%2F%2Fpodcast.example.jp%2Fshows%2Ffriday%2Ffeed.xml"'
            in body
        )
        assert (
            'href="https://antennapod.org/deeplink/subscribe?url=https%3A%2F%2Fpodcast.example.jp%2Fshows%2Ffriday%2Ffeed.xml&amp;title='
            in body
        )
        assert f'href="podcastaddict://{feed}"' in body
        assert "お使いのアプリのボタンを押すと" in body

    def test_an_unannounced_show_has_no_subscribe_page(self, client, shows):
        assert client.get("/shows/soon/subscribe/").status_code == 404
        assert client.get("/shows/nothing/subscribe/").status_code == 404

    def test_show_pages_link_to_it(self, client, shows):
        assert 'href="/shows/daily/subscribe/"' in client.get("/shows/daily/").text
        assert 'href="/shows/daily/subscribe/"' in client.get("/shows/").text


class TestStationSubscribePage:
    def test_every_public_show_and_the_feed_of_all(self, client, shows, django_assert_max_num_queries):
        with django_assert_max_num_queries(MAX_QUERIES):
            body = client.get("/subscribe/").text
        assert "毎朝の番組" in body and "金曜の番組" in body
        assert "準備中の番組" not in body
        assert 'value="https://podcast.example.jp/feed.xml" readonly' in body

    def test_every_page_has_it_in_the_menu(self, client, shows):
        for path in ("/", "/episode/1", "/archive/", "/letters/"):
            assert 'href="/subscribe/">購読</a>' in client.get(path).text


class TestShareButtons:
    def test_x_line_and_copy_for_the_episode(self, client, shows, settings):
        settings.SITE_HASHTAG = "AIずんだもん"
        episode = shows["daily"].episodes.get()
        body = client.get("/episode/1").text
        url = "https://podcast.example.jp/episode/1"
        x_query = urlencode({"text": episode.title, "url": url, "hashtags": "AIずんだもん"})
        assert f'href="https://x.com/intent/post?{x_query.replace("&", "&amp;")}"' in body
        assert (
            'href="https://social-plugins.line.me/lineit/share?url=https%3A%2F%2Fpodcast.example.jp%2Fepisode%2F1"'
            in body
        )
        assert f'data-copy="{url}"' in body

    def test_no_hashtag_when_the_setting_is_empty(self, client, shows, settings):
        settings.SITE_HASHTAG = ""
        assert "hashtags=" not in client.get("/episode/1").text


class TestFooter:
    def test_station_description_and_x_account(self, client, shows, settings):
        settings.SITE_X_ACCOUNT = "zundamon_ai"
        station = Station.load()
        station.long_description = "平日毎朝6時配信。（MC 月:春日部つむぎ、火水木:ずんだもん、金:お嬢様ずんだもん）"
        station.save()
        body = client.get("/").text
        footer = body[body.index('<footer class="site-footer">') :]
        assert "MC 月:春日部つむぎ、火水木:ずんだもん、金:お嬢様ずんだもん" in footer
        assert 'href="https://x.com/zundamon_ai"' in footer
        assert 'href="/subscribe/"' in footer

    def test_weekday_hosts_from_the_schedule(self, client, shows):
        tsumugi, zundamon = make_actor(name="春日部つむぎ"), make_actor(name="ずんだもん")
        daily = shows["daily"]
        AiringSlot.objects.create(weekday=Weekday.MONDAY, show=daily, host=tsumugi)
        for day in (Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY):
            AiringSlot.objects.create(weekday=day, show=daily, host=zundamon)
        AiringSlot.objects.create(weekday=Weekday.FRIDAY, show=shows["bare"])
        body = client.get("/").text
        assert "<span>月 春日部つむぎ</span>、<span>火水木 ずんだもん</span>、<span>金 金曜の番組</span>" in body

    def test_no_x_link_without_an_account(self, client, shows, settings):
        settings.SITE_X_ACCOUNT = ""
        assert "x.com/" not in client.get("/").text
