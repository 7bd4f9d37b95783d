"""Pages that search engines and social sites understand (episodes/site/seo.py and the templates)."""

import json
import re
from html.parser import HTMLParser

import pytest

from episodes.catalogue.models import Episode, Station
from tests.factories import image_upload, make_actor, make_episode, make_show

pytestmark = pytest.mark.django_db


class HeadParser(HTMLParser):
    """Collects <meta>, <link> and JSON-LD blocks as a crawler reads them."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.json_ld, self._in_ld, self.title = {}, [], [], False, ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta":
            self.meta[attrs.get("property") or attrs.get("name")] = attrs.get("content")
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_ld = True
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag):
        self._in_ld = self._in_ld and tag != "script"
        self._in_title = self._in_title and tag != "title"

    def handle_data(self, data):
        if self._in_ld:
            self.json_ld.append(json.loads(data))
        if self._in_title:
            self.title += data


def read_head(client, path):
    parser = HeadParser()
    parser.feed(client.get(path).text)
    return parser


@pytest.fixture
def episode(settings):
    settings.SITE_URL = "https://podcast.example.jp"
    show = make_show(name="毎朝の番組", slug="daily", artwork=image_upload("a.png", width=1400, height=1400))
    return make_episode(
        show=show, number=371, cast=[make_actor(name="ずんだもん")], description="今日は</script><b>量子</b>の話"
    )


def test_episode_page_tags(client, episode):
    head = read_head(client, "/episode/371")
    assert head.title.startswith(episode.title)
    assert head.meta["description"].startswith("今日は")
    assert head.meta["og:type"] == "article"
    assert head.meta["og:title"] == episode.title
    assert head.meta["og:url"] == "https://podcast.example.jp/episode/371"
    assert head.meta["og:image"].startswith("https://podcast.example.jp/media/")
    assert head.meta["og:audio"].startswith("https://podcast.example.jp/media/audio/")
    assert head.meta["twitter:card"] == "summary_large_image"
    links = {(link.get("rel"), link.get("type")): link.get("href") for link in head.links}
    assert links[("canonical", None)] == "https://podcast.example.jp/episode/371"
    assert links[("alternate", "application/rss+xml")] == "https://podcast.example.jp/shows/daily/feed.xml"


def test_episode_json_ld(client, episode):
    (data,) = read_head(client, "/episode/371").json_ld
    assert data["@type"] == "PodcastEpisode"
    assert data["name"] == episode.title
    assert data["datePublished"] == episode.published_at.isoformat()
    assert data["description"] == episode.description  # the </script> stayed inside the JSON string
    assert data["associatedMedia"]["contentUrl"].startswith("https://podcast.example.jp/media/audio/")
    assert re.fullmatch(r"PT\d+M\d+S", data["associatedMedia"]["duration"])
    assert data["partOfSeries"] == {
        "@type": "PodcastSeries",
        "name": "毎朝の番組",
        "url": "https://podcast.example.jp/shows/daily/",
    }
    assert [a["name"] for a in data["actor"]] == ["ずんだもん"]


def test_json_ld_cannot_close_the_script(client, episode):
    body = client.get("/episode/371").text
    block = body.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block


def test_show_page_tags(client, episode):
    head = read_head(client, "/shows/daily/")
    assert head.meta["og:title"] == "毎朝の番組"
    (data,) = head.json_ld
    assert data["@type"] == "PodcastSeries"
    assert data["webFeed"] == "https://podcast.example.jp/shows/daily/feed.xml"
    links = {(link.get("rel"), link.get("type")): link.get("href") for link in head.links}
    assert links[("alternate", "application/rss+xml")] == "https://podcast.example.jp/shows/daily/feed.xml"


@pytest.mark.parametrize("path", ["/", "/actors/{slug}/"])
def test_every_page_has_title_description_and_the_combined_feed(client, episode, path):
    head = read_head(client, path.format(slug=episode.actors[0].slug))
    assert head.title
    assert head.meta["description"]
    links = {(link.get("rel"), link.get("type")): link.get("href") for link in head.links}
    assert links[("alternate", "application/rss+xml")] == "https://podcast.example.jp/feed.xml"


def test_images_fall_back_to_the_show_then_the_station(client, settings):
    """A page-URL image (the old site's root) is no image: pages show the show's art, then the station's."""
    settings.SITE_URL = "https://podcast.example.jp"
    station = Station.load()
    station.artwork = image_upload("station.png", width=720, height=720)
    station.save()
    bare = make_show(slug="bare")
    episode = make_episode(show=bare, number=500)
    Episode.objects.filter(pk=episode.pk).update(
        image_url="https://old.example.jp/", thumbnail_url="https://old.example.jp/"
    )
    station_art = "https://podcast.example.jp" + station.artwork.url
    head = read_head(client, "/episode/500")
    assert head.meta["og:image"] == head.meta["twitter:image"] == station_art
    assert head.json_ld[0]["image"] == station_art
    body = client.get("/episode/500").text
    assert "old.example.jp" not in body and station.artwork.url in body
    show_head = read_head(client, "/shows/bare/")
    assert show_head.meta["og:image"] == show_head.json_ld[0]["image"] == station_art
    assert read_head(client, "/").meta["og:image"] == station_art
    assert "old.example.jp" not in client.get("/").text
    bare.artwork = image_upload("show.png", width=1400, height=1400)
    bare.save()
    show_art = "https://podcast.example.jp" + bare.artwork.url
    assert read_head(client, "/episode/500").meta["og:image"] == show_art
    assert read_head(client, "/shows/bare/").json_ld[0]["image"] == show_art
