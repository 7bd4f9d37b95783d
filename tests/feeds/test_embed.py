"""The embeddable player and oEmbed (episodes/feeds/embed.py)."""

from urllib.parse import quote

import pytest

from episodes.catalogue.models import Episode, LinkedArticle
from tests.factories import make_episode

pytestmark = pytest.mark.django_db


@pytest.fixture
def episode(settings):
    settings.SITE_URL = "https://podcast.example.jp"
    episode = make_episode(
        number=550, title="量子と <b>ブラウザ</b> の回", image_url="https://podcast.example.jp/c.png"
    )
    LinkedArticle.objects.create(
        episode=episode, position=0, title="一本目", url="https://example.com/1", start_seconds=65.2
    )
    LinkedArticle.objects.create(episode=episode, position=1, title="時刻なし", url="https://example.com/2")
    return episode


def oembed(client, url, **params):
    return client.get("/oembed", {"url": url, **params})


class TestEmbedPage:
    def test_player_chapters_and_link_back(self, client, episode, django_assert_max_num_queries):
        with django_assert_max_num_queries(4):
            response = client.get("/episode/550/embed")
        body = response.text
        assert response.status_code == 200
        assert f'src="{episode.audio_src}"' in body and 'preload="none"' in body
        assert 'data-seek="65.200"' in body and "一本目" in body
        assert "時刻なし" not in body  # chapters only
        assert 'href="/episode/550" target="_blank"' in body
        assert '<script src="/static/js/player.js" defer>' in body

    def test_other_sites_may_frame_it_and_it_sets_no_cookie(self, client, episode):
        client.get("/letters/")  # a CSRF cookie elsewhere on the site
        response = client.get("/episode/550/embed")
        assert "X-Frame-Options" not in response
        assert "frame-ancestors *" in response["Content-Security-Policy"]
        assert not response.cookies
        assert "Cookie" not in response.get("Vary", "")

    def test_the_rest_of_the_site_stays_unframeable(self, client, episode):
        response = client.get("/episode/550")
        assert response["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"]

    def test_only_public_episodes(self, client, episode):
        make_episode(number=551, status=Episode.Status.DRAFT)
        assert client.get("/episode/551/embed").status_code == 404
        assert client.get("/episode/999/embed").status_code == 404


class TestOembed:
    def test_rich_iframe_for_an_episode_url(self, client, episode):
        response = oembed(client, "https://podcast.example.jp/episode/550")
        data = response.json()
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert data["version"] == "1.0" and data["type"] == "rich"
        assert data["title"] == "量子と <b>ブラウザ</b> の回"
        assert data["author_url"] == f"https://podcast.example.jp{episode.show.get_absolute_url()}"
        assert (data["width"], data["height"]) == (560, 320)
        assert data["html"].startswith('<iframe src="https://podcast.example.jp/episode/550/embed" width="560"')
        assert "&lt;b&gt;ブラウザ&lt;/b&gt;" in data["html"]  # the title escaped in the attribute
        assert data["thumbnail_url"] == "https://podcast.example.jp/c.png"

    def test_maxwidth_and_maxheight_cap_the_size(self, client, episode):
        data = oembed(client, "https://podcast.example.jp/episode/550/", maxwidth="400", maxheight="9999").json()
        assert (data["width"], data["height"]) == (400, 320)
        data = oembed(client, "https://podcast.example.jp/episode/550", maxwidth="10", maxheight="x").json()
        assert (data["width"], data["height"]) == (240, 320)

    @pytest.mark.parametrize("name", ["maxwidth", "maxheight"])
    def test_a_number_of_5000_digits_is_400_not_500(self, client, episode, name):
        """int() refuses more than 4,300 digits: it was a 500 (issue 24, finding 11)."""
        response = oembed(client, "https://podcast.example.jp/episode/550", **{name: "9" * 5000})
        assert response.status_code == 400 and "桁" in response.text
        assert oembed(client, "https://podcast.example.jp/episode/550", **{name: "9" * 6}).status_code == 200

    @pytest.mark.parametrize(
        "url",
        [
            "https://elsewhere.example.com/episode/550",
            "https://podcast.example.jp/episode/999",
            "https://podcast.example.jp/shows/",
            "javascript:alert(1)",
            "",
        ],
    )
    def test_anything_but_a_public_episode_of_ours_is_404(self, client, episode, url):
        assert oembed(client, url).status_code == 404

    def test_xml_is_not_implemented(self, client, episode):
        assert oembed(client, "https://podcast.example.jp/episode/550", format="xml").status_code == 501

    def test_episode_pages_announce_it(self, client, episode):
        body = client.get("/episode/550").text
        target = quote("https://podcast.example.jp/episode/550", safe="")
        assert (
            '<link rel="alternate" type="application/json+oembed" '
            f'href="https://podcast.example.jp/oembed?url={target}&amp;format=json"'
        ) in body
