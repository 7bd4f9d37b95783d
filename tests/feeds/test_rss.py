"""Podcast feeds read by real clients' parsers, cached, and conditional."""

import html
import io
import json
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path

import feedparser
import jsonschema
import podcastparser
import pytest
import webvtt
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.xmlutils import SimplerXMLGenerator
from lxml import etree
from PIL import Image

from episodes.catalogue.links import absolute_url
from episodes.catalogue.models import Actor, Appearance, Episode, LinkedArticle, Station, podcast_guid_for
from episodes.feeds.rss import _cdata
from tests.factories import DATA, bulk_archive, image_upload, make_actor, make_episode, make_show, mp3_upload

pytestmark = pytest.mark.django_db

NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
}


@pytest.fixture
def site(settings):
    """A station and two shows with hosts, artwork and real audio."""
    settings.SITE_URL = "https://podcast.example.jp"
    station = Station.load()
    station.name = "テスト放送局"
    station.owner_email = "owner@example.jp"
    station.artwork = image_upload("station.png", width=1400, height=1400)
    station.save()
    host = make_actor(name="ずんだもん", slug="zundamon", image=image_upload("z.png"))
    guest = make_actor(name="春日部つむぎ", slug="tsumugi")
    daily = make_show(name="毎朝の番組", slug="daily", artwork=image_upload("a.png", width=1400, height=1400))
    daily.hosts.set([host])
    friday = make_show(name="金曜の番組", slug="friday")
    first = make_episode(show=daily, number=371, cast=[guest], articles=2, youtube_url="https://youtu.be/0aR63e1eKtA")
    second = make_episode(
        show=friday, number=372, cast=[host], audio=False, audio_file=mp3_upload("私立ずんだもん女学園放送部.mp3")
    )
    return {"station": station, "daily": daily, "friday": friday, "host": host, "episodes": [first, second]}


def vtt_seconds(stamp: str) -> float:
    hours, minutes, seconds = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def get_feed(client, path="/feed.xml", **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200, response.content[:500]
    return response


class TestRealParsers:
    def test_feedparser_reads_every_item_truthfully(self, client, site):
        parsed = feedparser.parse(get_feed(client).content)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.feed.title == "テスト放送局"
        assert parsed.feed.language == "ja"
        assert len(parsed.entries) == 2
        for entry in parsed.entries:
            episode = Episode.objects.get(guid=entry.id)
            enclosure = entry.enclosures[0]
            assert enclosure.href.startswith("https://podcast.example.jp/media/audio/")
            assert int(enclosure.length) == default_storage.size(episode.audio_file.name)
            assert enclosure.type == "audio/mpeg"
            assert int(entry.itunes_duration) > 0
            assert entry.guidislink is False

    def test_podcastparser_reads_every_item_truthfully(self, client, site):
        parsed = podcastparser.parse("https://podcast.example.jp/feed.xml", io.BytesIO(get_feed(client).content))
        assert parsed["title"] == "テスト放送局"
        assert parsed["cover_url"].startswith("https://podcast.example.jp/media/")
        assert len(parsed["episodes"]) == 2
        for item in parsed["episodes"]:
            episode = Episode.objects.get(guid=item["guid"])
            media = item["enclosures"][0]
            assert media["file_size"] == episode.audio_size == default_storage.size(episode.audio_file.name)
            assert media["mime_type"] == "audio/mpeg"
            assert item["total_time"] > 0
            assert item["link"] == f"https://podcast.example.jp/episode/{episode.number}"
            assert item["published"] == int(episode.published_at.timestamp())


class TestXml:
    def test_well_formed_with_every_prefix_declared(self, client, site):
        for path in ("/feed.xml", "/shows/daily/feed.xml", "/shows/friday/feed.xml"):
            # ElementTree refuses an undeclared prefix, so parsing proves both.
            root = ET.fromstring(get_feed(client, path).content)
            assert root.tag == "rss"
            assert root.get("version") == "2.0"

    def test_channel_has_apple_required_tags(self, client, site):
        channel = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content).find("channel")
        assert channel.findtext("title") == "毎朝の番組"
        assert channel.findtext("link") == "https://podcast.example.jp/shows/daily/"
        assert channel.findtext("description")
        assert channel.findtext("language") == "ja"
        assert channel.find("itunes:image", NS).get("href").startswith("https://podcast.example.jp/media/")
        assert channel.find("itunes:category", NS).get("text") == "Technology"
        assert channel.findtext("itunes:explicit", namespaces=NS) in {"true", "false"}
        assert channel.findtext("itunes:author", namespaces=NS)
        assert channel.findtext("itunes:owner/itunes:email", namespaces=NS) == "owner@example.com"
        assert channel.findtext("itunes:type", namespaces=NS) == "episodic"
        self_link = channel.find("atom:link", NS)
        assert (self_link.get("rel"), self_link.get("href")) == (
            "self",
            "https://podcast.example.jp/shows/daily/feed.xml",
        )

    def test_podcasting_2_channel_tags(self, client, site):
        channel = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content).find("channel")
        expected_guid = podcast_guid_for("https://podcast.example.jp/shows/daily/feed.xml")
        assert channel.findtext("podcast:guid", namespaces=NS) == str(expected_guid)
        assert channel.find("podcast:locked", NS).get("owner") == "owner@example.com"
        assert channel.findtext("podcast:locked", namespaces=NS) == "yes"
        persons = channel.findall("podcast:person", NS)
        assert [(p.text, p.get("role")) for p in persons] == [("ずんだもん", "host")]
        rrule = channel.find("podcast:updateFrequency", NS).get("rrule")
        assert rrule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
        # The namespace's ai-content purpose takes a boolean, like itunes:explicit.
        txt = channel.find("podcast:txt", NS)
        assert (txt.get("purpose"), txt.text) == ("ai-content", "true")

    def test_station_feed_guid_is_stored_not_recomputed(self, client, site, settings):
        guid = site["station"].podcast_guid
        settings.SITE_URL = "https://moved.example.jp"
        channel = ET.fromstring(get_feed(client).content).find("channel")
        assert channel.findtext("podcast:guid", namespaces=NS) == str(guid)

    def test_item_tags(self, client, site):
        channel = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content).find("channel")
        (item,) = channel.findall("item")
        episode = site["episodes"][0]
        assert item.find("guid").text == episode.guid
        assert item.find("guid").get("isPermaLink") == "false"
        assert item.findtext("pubDate").endswith("+0900")
        assert item.findtext("itunes:duration", namespaces=NS) == str(round(episode.audio_duration))
        assert item.findtext("itunes:episode", namespaces=NS) == "371"
        assert item.findtext("itunes:episodeType", namespaces=NS) == "full"
        assert item.find("itunes:image", NS).get("href").startswith("https://")
        persons = [(p.text, p.get("role"), p.get("group")) for p in item.findall("podcast:person", NS)]
        # The host comes again: episode-level persons replace the channel's.
        assert persons == [("ずんだもん", "host", "cast"), ("春日部つむぎ", "Voice Actor", "cast")]
        host_person = item.findall("podcast:person", NS)[0]
        assert host_person.get("img").startswith("https://podcast.example.jp/media/")
        assert host_person.get("href") == "https://podcast.example.jp/actors/zundamon/"
        link = item.find("podcast:contentLink", NS)
        assert link.get("href") == "https://www.youtube.com/watch?v=0aR63e1eKtA"

    def test_show_notes_whole_in_content_encoded_short_in_description(self, client, site):
        body = get_feed(client, "/shows/daily/feed.xml").content.decode()
        assert "<content:encoded><![CDATA[" in body and "<description><![CDATA[" in body
        item = ET.fromstring(body).find("channel/item")
        notes = item.findtext("content:encoded", namespaces=NS)
        assert "記事0" in notes and "<strong>要約</strong>" in notes
        assert "引用元: " in notes
        assert "VOICEVOX:春日部つむぎ" in notes
        description = item.findtext("description")
        assert '<a href="https://example.com/' in description and "記事1" in description
        assert "要約" not in description

    def test_description_within_apples_4000_bytes(self, client, site):
        episode = site["episodes"][0]
        for position in range(2, 80):
            LinkedArticle.objects.create(
                episode=episode,
                position=position,
                title=f"とても長い記事の題名その{position}" * 4,
                url=f"https://example.com/long/{position}",
                summary="長い要約。" * 100,
            )
        Episode.objects.filter(pk=episode.pk).update(description="内容紹介。" * 2000)
        item = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content).find("channel/item")
        description = item.findtext("description")
        assert 0 < len(description.encode()) <= 4000
        notes = item.findtext("content:encoded", namespaces=NS)
        assert len(notes.encode()) > 100_000 and "その79" in notes
        channel = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content).find("channel")
        assert len(channel.findtext("description").encode()) <= 4000

    def test_cdata_splits_a_literal_terminator(self):
        out = io.StringIO()
        handler = SimplerXMLGenerator(out, "utf-8")
        handler.startElement("root", {})
        _cdata(handler, "description", "<p>a]]>b</p>")
        handler.endElement("root")
        assert ET.fromstring(out.getvalue()).findtext("description") == "<p>a]]>b</p>"

    def test_hostile_summary_cannot_break_out_of_cdata(self, client, site):
        LinkedArticle.objects.create(
            episode=site["episodes"][0],
            title="]]><evil/>",
            url="https://example.com/x",
            summary="]]> <script>x</script>",
        )
        root = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content)
        notes = root.find("channel/item").findtext("description")
        assert "]]&gt;&lt;evil/&gt;" in notes
        assert "<script" not in notes
        assert root.find("channel/item/evil") is None

    def test_japanese_file_names_are_percent_encoded(self, client, site):
        external = make_episode(show=site["friday"], number=380, audio="https://cdn.example.jp/audio/番組_podcast.mp3")
        Episode.objects.filter(pk=external.pk).update(audio_size=1234, audio_duration=61.0)
        urls = [e.get("url") for e in ET.fromstring(get_feed(client).content).iter("enclosure")]
        assert all(url.isascii() for url in urls)
        assert "https://cdn.example.jp/audio/%E7%95%AA%E7%B5%84_podcast.mp3" in urls
        assert any("%E7%A7%81%E7%AB%8B" in url for url in urls)


class TestWhatIsLeftOut:
    def test_unknown_size_scheduled_and_drafts_are_left_out(self, client, site):
        make_episode(show=site["daily"], number=400, audio="https://cdn.example.jp/unprobed.mp3")
        make_episode(show=site["daily"], number=401, published_at=timezone.now() + timedelta(hours=1))
        make_episode(show=site["daily"], number=402, status=Episode.Status.DRAFT)
        numbers = {e.itunes_episode for e in feedparser.parse(get_feed(client).content).entries}
        assert numbers == {"371", "372"}

    def test_admin_says_why_an_episode_is_left_out(self, admin_client, site):
        waiting = make_episode(show=site["daily"], number=400, audio="https://cdn.example.jp/unprobed.mp3")
        page = admin_client.get(f"/admin/catalogue/episode/{waiting.pk}/change/").text
        assert "音声のサイズと長さがまだ分からないため、フィードに載りません" in page
        listing = admin_client.get("/admin/catalogue/episode/").text
        assert "icon-no.svg" in listing and "icon-yes.svg" in listing

    def test_item_limit(self, client, site, settings):
        settings.FEED_ITEM_LIMIT = 1
        assert len(feedparser.parse(get_feed(client).content).entries) == 1

    def test_show_feed_has_only_its_episodes_and_unknown_show_is_404(self, client, site):
        entries = feedparser.parse(get_feed(client, "/shows/friday/feed.xml").content).entries
        assert [e.id for e in entries] == [site["episodes"][1].guid]
        assert client.get("/shows/nothing/feed.xml").status_code == 404


class TestConditionalGetAndCache:
    def test_304_on_matching_etag_and_headers(self, client, site):
        first = get_feed(client)
        assert first["ETag"].startswith('"')
        assert first["Last-Modified"]
        assert "max-age=300" in first["Cache-Control"] and "public" in first["Cache-Control"]
        again = client.get("/feed.xml", HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304
        assert again.content == b""
        since = client.get("/feed.xml", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304

    def test_etag_changes_after_an_edit_a_bulk_action_and_a_delete(self, client, site):
        etags = [get_feed(client)["ETag"]]
        episode = site["episodes"][0]
        episode.title = "直したタイトル"
        episode.save()
        etags.append(get_feed(client)["ETag"])
        assert "直したタイトル" in get_feed(client).content.decode()
        Episode.objects.filter(pk=episode.pk).update(status=Episode.Status.DRAFT)
        etags.append(get_feed(client)["ETag"])
        LinkedArticle.objects.filter(episode=site["episodes"][1]).delete()
        site["host"].name = "ずんだもん（改名）"
        site["host"].save()
        # (daily has no public episode left, so its feed is gone: friday's names the host too.)
        etags.append(get_feed(client, "/shows/friday/feed.xml")["ETag"])
        assert len(set(etags)) == len(etags)
        assert client.get("/feed.xml", HTTP_IF_NONE_MATCH=etags[0]).status_code == 200

    def test_scheduled_episode_appears_when_due_with_no_write(self, client, site):
        due = timezone.now() + timedelta(seconds=1)
        soon = make_episode(show=site["daily"], number=500, published_at=due)
        before = get_feed(client)
        assert soon.guid not in before.content.decode()
        # Time passes, nothing is written.
        time.sleep(max((due - timezone.now()).total_seconds(), 0) + 0.05)
        after = get_feed(client, HTTP_IF_NONE_MATCH=before["ETag"])
        assert soon.guid in after.content.decode()
        assert after["Last-Modified"] != before["Last-Modified"]

    def test_warm_request_builds_nothing(self, client, site, django_assert_max_num_queries):
        get_feed(client)
        # The revision and the visible set, in one query; the bytes are ready.
        with django_assert_max_num_queries(1):
            get_feed(client)

    def test_304_builds_nothing(self, client, site, django_assert_max_num_queries):
        etag = get_feed(client, "/shows/daily/feed.xml")["ETag"]
        with django_assert_max_num_queries(1):
            assert client.get("/shows/daily/feed.xml", HTTP_IF_NONE_MATCH=etag).status_code == 304


class TestQueryCount:
    @pytest.mark.parametrize("path", ["/feed.xml", "/shows/big/feed.xml"])
    def test_same_for_10_and_500_episodes(self, client, path):
        Station.load()
        show = make_show(slug="big")
        actors = [make_actor(), make_actor()]
        show.hosts.set(actors[:1])
        bulk_archive(show, actors, 10, articles=5, start=1)
        cache.clear()
        with CaptureQueriesContext(connection) as small:
            assert client.get(path).status_code == 200
        bulk_archive(show, actors, 490, articles=5, start=100)
        cache.clear()
        with CaptureQueriesContext(connection) as large:
            response = client.get(path)
        assert len(feedparser.parse(response.content).entries) == 500
        assert len(large.captured_queries) == len(small.captured_queries)
        # ... plus the sister shows (podroll) and the station (the artwork fallback).
        assert len(small.captured_queries) <= 12


class TestChapters:
    def test_json_chapters_shape(self, client, site):
        episode = site["episodes"][0]
        LinkedArticle.objects.filter(episode=episode, position=0).update(start_seconds=75.5)
        LinkedArticle.objects.filter(episode=episode, position=1).update(start_seconds=30)
        response = client.get(f"/episode/{episode.number}/chapters.json")
        assert response["Content-Type"] == "application/json+chapters"
        data = json.loads(response.content)
        assert data["version"] == "1.2.0"
        starts = [c["startTime"] for c in data["chapters"]]
        assert starts == sorted(starts) == [0, 30, 75.5]
        assert all({"startTime", "title"} <= set(c) for c in data["chapters"])
        second = episode.articles.get(position=1)
        assert data["chapters"][1] == {"startTime": 30, "title": "記事1", "url": second.url}
        item = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content).find("channel/item")
        chapters = item.find("podcast:chapters", NS)
        assert chapters.get("url") == f"https://podcast.example.jp/episode/{episode.number}/chapters.json"
        assert chapters.get("type") == "application/json+chapters"

    def test_no_chapters_without_start_times(self, client, site):
        episode = site["episodes"][0]
        assert client.get(f"/episode/{episode.number}/chapters.json").status_code == 404
        item = ET.fromstring(get_feed(client, "/shows/daily/feed.xml").content).find("channel/item")
        assert item.find("podcast:chapters", NS) is None

    def test_hidden_episode_has_no_chapters(self, client, site):
        later = make_episode(number=900, published_at=timezone.now() + timedelta(days=1), articles=1)
        LinkedArticle.objects.filter(episode=later).update(start_seconds=1)
        assert client.get("/episode/900/chapters.json").status_code == 404


class TestTranscripts:
    SCRIPT = "おはようございます、ずんだもんなのだ。\n\n今日のニュースは二本なのだ。\n一本目 <b>太字</b> & 記号なのだ。\nまた明日なのだ。\n"

    def test_plain_text_and_feed_tag(self, client, site):
        episode = site["episodes"][1]
        episode.transcript = self.SCRIPT
        episode.save()
        response = client.get(f"/episode/{episode.number}/transcript.txt")
        assert response["Content-Type"] == "text/plain; charset=utf-8"
        assert response.content.decode() == self.SCRIPT
        item = ET.fromstring(get_feed(client, "/shows/friday/feed.xml").content).find("channel/item")
        types = {t.get("type"): t for t in item.findall("podcast:transcript", NS)}
        assert types["text/plain"].get("url") == f"https://podcast.example.jp/episode/{episode.number}/transcript.txt"
        assert types["text/plain"].get("language") == "ja"
        assert "text/vtt" in types

    def test_webvtt_reads_back(self, client, site):
        episode = site["episodes"][1]  # one cast member: cues carry her voice
        episode.transcript = self.SCRIPT
        episode.save()
        response = client.get(f"/episode/{episode.number}/transcript.vtt")
        assert response["Content-Type"] == "text/vtt; charset=utf-8"
        captions = list(webvtt.from_string(response.content.decode()))
        assert [html.unescape(c.text) for c in captions] == [
            "おはようございます、ずんだもんなのだ。",
            "今日のニュースは二本なのだ。",
            "一本目 <b>太字</b> & 記号なのだ。",
            "また明日なのだ。",
        ]
        assert all(c.voice == "ずんだもん" for c in captions)
        assert captions[0].start == "00:00:00.000"
        ends = [vtt_seconds(c.end) for c in captions]
        assert ends == sorted(ends)
        assert ends[-1] == pytest.approx(episode.audio_duration, abs=0.01)

    def test_webvtt_cues_follow_article_start_times(self, client, site):
        episode = site["episodes"][0]
        Episode.objects.filter(pk=episode.pk).update(audio_duration=100.0)
        episode.refresh_from_db()
        episode.transcript = "\n".join(["オープニング"] * 2 + ["一本目の記事"] * 4 + ["二本目の記事"] * 4)
        episode.save()
        LinkedArticle.objects.filter(episode=episode, position=0).update(start_seconds=20)
        LinkedArticle.objects.filter(episode=episode, position=1).update(start_seconds=60)
        captions = list(webvtt.from_string(client.get(f"/episode/{episode.number}/transcript.vtt").content.decode()))
        starts = {c.start_in_seconds for c in captions}
        assert {0, 20, 60} <= {round(s) for s in starts}

    def test_shown_collapsed_on_the_episode_page(self, client, site):
        episode = site["episodes"][1]
        episode.transcript = "台本の<script>一行</script>目"
        episode.save()
        body = client.get(episode.get_absolute_url()).text
        assert "<details>" in body and "文字起こし" in body
        assert "台本の&lt;script&gt;一行&lt;/script&gt;目" in body

    def test_no_transcript_is_404(self, client, site):
        number = site["episodes"][0].number
        assert client.get(f"/episode/{number}/transcript.txt").status_code == 404
        assert client.get(f"/episode/{number}/transcript.vtt").status_code == 404


class TestTimedTranscript:
    def test_timeline_cues_give_exact_times_even_without_a_known_duration(self, client, site):
        episode = site["episodes"][0]
        Episode.objects.filter(pk=episode.pk).update(
            transcript="一行目\n二行目",
            transcript_cues=[[0.5, 2.0, "一行目"], [2.0, 4.25, "二行目"]],
            audio_duration=None,
        )
        response = client.get(f"/episode/{episode.number}/transcript.vtt")
        captions = list(webvtt.from_string(response.content.decode()))
        assert [(c.start, c.end, c.text) for c in captions] == [
            ("00:00:00.500", "00:00:02.000", "一行目"),
            ("00:00:02.000", "00:00:04.250", "二行目"),
        ]


def test_chapters_and_transcripts_cost_a_fixed_number_of_queries(client, site, django_assert_max_num_queries):
    episode = site["episodes"][0]
    episode.transcript = "一行目\n二行目"
    episode.save()
    LinkedArticle.objects.filter(episode=episode).update(start_seconds=1.0)
    for path in ("chapters.json", "transcript.txt", "transcript.vtt"):
        with django_assert_max_num_queries(5):
            assert client.get(f"/episode/{episode.number}/{path}").status_code == 200


CHAPTERS_SCHEMA = json.loads((DATA / "json-chapters-1.2.schema.json").read_text())
NODE_DIR = Path(__file__).resolve().parents[1] / "node"
FEED_PATHS = ("/feed.xml", "/shows/daily/feed.xml", "/shows/friday/feed.xml")


def node_check(files) -> tuple[list[dict], list[str]]:
    """Run tests/node/check.js (podcast-partytime, webvtt-parser): per-file results, and any log output."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: Podcast Index's parser and the strict WebVTT validator cannot run")
    if not (NODE_DIR / "node_modules" / "podcast-partytime").is_dir():
        pytest.skip("tests/node has no node_modules: run `make node-tools` (make test does)")
    run = subprocess.run(
        ["node", str(NODE_DIR / "check.js"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PARTYTIME_LOG": "warn"},
    )
    results = [json.loads(line[len("RESULT ") :]) for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    logged = [
        line for line in (run.stdout + run.stderr).splitlines() if line.strip() and not line.startswith("RESULT ")
    ]
    return results, logged


@pytest.fixture
def full_site(site, settings):
    """The site with chapters, transcripts, a hub and one show whose art needs a rendition."""
    settings.WEBSUB_HUB_URL = "https://hub.example.jp/"
    first, second = site["episodes"]
    LinkedArticle.objects.filter(episode=first, position=0).update(start_seconds=1.0)
    LinkedArticle.objects.filter(episode=first, position=1).update(start_seconds=2.5)
    for episode in (first, second):
        episode.transcript = "おはようございます。\n" + "とても長い一文なのだ、" * 12 + "\nまた明日なのだ。"
        episode.save()
    site["friday"].artwork = image_upload("small.png", width=720, height=720)
    site["friday"].save()
    # Moved from its Japanese address: its feed names its new URL (itunes:new-feed-url) for every parser below.
    site["friday"].remember_former_slug("金曜の番組")
    return site


def media_image(url: str):
    """Open an image the feed names, from storage, as Pillow sees it."""
    path = url.removeprefix("https://podcast.example.jp/media/")
    with default_storage.open(path) as f, Image.open(f) as image:
        return image.format, image.mode, image.size


class TestDirectoriesAndApps:
    """What Apple, Podcast Index and apps check, read with their parsers."""

    def test_strict_xml_feedparser_and_podcastparser(self, client, full_site):
        for path in FEED_PATHS:
            body = get_feed(client, path).content
            root = etree.fromstring(body, etree.XMLParser(recover=False, resolve_entities=False, no_network=True))
            assert root.tag == "rss"
            parsed = feedparser.parse(body)
            assert not parsed.bozo, (path, parsed.bozo_exception)
            podcast = podcastparser.parse(f"https://podcast.example.jp{path}", io.BytesIO(body))
            assert podcast["episodes"] and podcast["cover_url"]
            moved = path == "/shows/friday/feed.xml"
            assert podcast.get("new_url") == (f"https://podcast.example.jp{path}" if moved else None)

    def test_podcast_index_parser_reads_every_feed_without_a_warning(self, client, full_site, tmp_path):
        files = []
        for index, path in enumerate(FEED_PATHS):
            files.append(tmp_path / f"feed{index}.xml")
            files[-1].write_bytes(get_feed(client, path).content)
        results, logged = node_check(files)
        assert logged == []
        station, daily, friday = (r["result"] for r in results)
        assert [len(f["items"]) for f in (station, daily, friday)] == [2, 1, 1]
        for feed in (station, daily, friday):
            assert feed["image"].startswith("https://podcast.example.jp/media/")
            assert feed["pubsub"]["hub"] == "https://hub.example.jp/"
            assert all(item["image"] and item["description"] and item["content"] for item in feed["items"])
        assert {"guid", "locked", "person", "transcript", "chapters", "podroll"} <= {
            tag for tags in station["pc20support"].values() for tag in tags
        }
        assert {entry["title"] for entry in daily["podroll"]} == {"金曜の番組"}
        assert {entry["feedGuid"] for entry in station["podroll"]} == {
            str(full_site["daily"].podcast_guid),
            str(full_site["friday"].podcast_guid),
        }

    def test_channel_artwork_apple_accepts_in_every_feed(self, client, full_site):
        for path in (*FEED_PATHS, "/shows/bare/feed.xml"):
            if path == "/shows/bare/feed.xml":
                make_episode(show=make_show(slug="bare"), number=990)
            channel = ET.fromstring(get_feed(client, path).content).find("channel")
            href = channel.find("itunes:image", NS).get("href")
            assert channel.findtext("image/url") == href
            image_format, mode, (width, height) = media_image(href)
            assert image_format in {"JPEG", "PNG"} and mode == "RGB"
            assert width == height and 1400 <= width <= 3000, path
        # The show with small art names its rendition; one without any, the station's.
        friday = ET.fromstring(get_feed(client, "/shows/friday/feed.xml").content).find("channel")
        assert friday.find("itunes:image", NS).get("href").endswith("/small-feed.jpg")
        bare = ET.fromstring(get_feed(client, "/shows/bare/feed.xml").content).find("channel")
        assert bare.find("itunes:image", NS).get("href").endswith("/station.png")

    def test_items_fall_back_to_show_then_station_artwork(self, client, full_site):
        Episode.objects.filter(pk=full_site["episodes"][0].pk).update(image_url="https://podcast.example.jp/")
        make_episode(show=make_show(slug="bare"), number=990)
        items = {
            item.findtext("itunes:episode", namespaces=NS): item.find("itunes:image", NS).get("href")
            for item in ET.fromstring(get_feed(client).content).iter("item")
        }
        assert items["371"] == absolute_url(full_site["daily"].artwork.url)
        assert items["372"] == absolute_url(full_site["friday"].feed_artwork.url)
        assert items["990"] == absolute_url(full_site["station"].artwork.url)

    def test_hub_named_only_when_configured(self, client, site, settings):
        assert b'rel="hub"' not in get_feed(client).content
        settings.WEBSUB_HUB_URL = "https://hub.example.jp/"
        links = ET.fromstring(get_feed(client).content).find("channel").findall("atom:link", NS)
        assert {(link.get("rel"), link.get("href")) for link in links} == {
            ("self", "https://podcast.example.jp/feed.xml"),
            ("hub", "https://hub.example.jp/"),
        }


class TestSharedFiles:
    """Chapters and transcripts: valid, readable from any origin, answered 304 when unchanged."""

    @pytest.mark.parametrize("name", ["chapters.json", "transcript.txt", "transcript.vtt"])
    def test_cors_etag_and_304(self, client, full_site, name):
        url = f"/episode/371/{name}"
        first = client.get(url, HTTP_ORIGIN="https://player.example.org")
        assert first.status_code == 200
        assert first["Access-Control-Allow-Origin"] == "*"
        assert first["ETag"].startswith('"') and "public" in first["Cache-Control"]
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b""
        assert again["Access-Control-Allow-Origin"] == "*"
        episode = full_site["episodes"][0]
        episode.transcript += "\n追記なのだ。"
        episode.save()
        LinkedArticle.objects.filter(episode=episode, position=1).update(start_seconds=3.0)
        assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200

    def test_chapters_validate_against_json_chapters_1_2(self, client, full_site):
        data = json.loads(client.get("/episode/371/chapters.json").content)
        jsonschema.validate(data, CHAPTERS_SCHEMA, format_checker=jsonschema.FormatChecker())
        starts = [chapter["startTime"] for chapter in data["chapters"]]
        assert starts == sorted(starts)
        # The opening's art falls back like the page's: here the show's artwork.
        assert data["chapters"][0]["img"] == absolute_url(full_site["daily"].artwork.url)

    def test_webvtt_passes_a_strict_validator(self, client, full_site, tmp_path):
        make_actor(name="<声&優>", slug="odd")
        episode = full_site["episodes"][1]
        Appearance.objects.filter(episode=episode).delete()
        Appearance.objects.create(episode=episode, actor=Actor.objects.get(slug="odd"), position=0)
        body = client.get(f"/episode/{episode.number}/transcript.vtt").content.decode()
        assert body.startswith("WEBVTT\n\n")
        assert "<v &lt;声&amp;優&gt;>" in body
        captions = list(webvtt.from_string(body))
        assert all(len(html.unescape(c.text)) <= 65 for c in captions)
        # The long line became several cues, in order, sharing its time.
        assert len(captions) > 3
        starts = [c.start_in_seconds for c in captions]
        assert starts == sorted(starts)
        path = tmp_path / "transcript.vtt"
        path.write_text(body)
        (result,), logged = node_check([path])
        assert logged == [] and result["result"]["errors"] == []
        assert len(result["result"]["cues"]) == len(captions)


class TestStylesheet:
    def test_feed_names_the_xsl_a_browser_renders_it_with(self, client, site):
        for path in ("/feed.xml", "/shows/daily/feed.xml"):
            body = get_feed(client, path).content.decode()
            head = body[: body.index("<rss")]
            assert '<?xml-stylesheet href="/static/feed/feed.xsl" media="screen" type="text/xsl"?>' in head

    def test_the_xsl_is_an_xslt_stylesheet_saying_how_to_subscribe(self):
        path = Path(__file__).resolve().parents[2] / "static" / "feed" / "feed.xsl"
        root = ET.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/1999/XSL/Transform}stylesheet"
        assert "ポッドキャストアプリ" in path.read_text(encoding="utf-8")
