"""`publish_episode`: the pipeline's daily post, end to end (episodes/publishing/publish.py and its command)."""

import io
import json
import shutil
import xml.etree.ElementTree as ET
from urllib.parse import quote

import feedparser
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from episodes.catalogue.models import Episode
from tests.audio_server import long_mp3
from tests.factories import MP3, POST, make_actor

pytestmark = pytest.mark.django_db


@pytest.fixture
def pipeline(tmp_path):
    """What the pipeline writes: the post, and the MP3, script and timeline beside the MP3."""
    out = tmp_path / "out"
    out.mkdir()
    post = out / "2026-01-05-600.md"
    post.write_text(POST, encoding="utf-8")
    stem = "毎朝の番組_podcast_20260105"
    shutil.copy(MP3, out / f"{stem}.mp3")
    (out / f"{stem}.txt").write_text("おはようなのだ。\n一本目なのだ。\n二本目なのだ。\n", encoding="utf-8")
    timeline = [
        {"type": "agenda", "notes": "おはようなのだ。", "start_ms": 0, "end_ms": 500},
        {
            "type": "section",
            "url": "https://example.com/one",
            "notes": "一本目なのだ。",
            "start_ms": 500,
            "end_ms": 1200,
        },
        {
            "type": "section",
            "url": "https://example.com/two",
            "notes": "二本目なのだ。",
            "start_ms": 1200,
            "end_ms": 2000,
        },
    ]
    (out / f"{stem}.json").write_text(json.dumps(timeline, ensure_ascii=False), encoding="utf-8")
    return post


def publish(*args):
    out = io.StringIO()
    call_command("publish_episode", *map(str, args), stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_end_to_end(client, pipeline, settings):
    settings.SITE_URL = "https://podcast.example.jp"
    make_actor(name="ずんだもん", credit="VOICEVOX:ずんだもん")
    printed = publish(pipeline, "--publish-at", "2026-01-05T06:00:00+09:00")
    assert "https://podcast.example.jp/episode/600" in printed
    episode = Episode.objects.get(number=600)
    assert episode.status == "published" and episode.is_public
    assert episode.audio_size == MP3.stat().st_size

    assert "毎朝の番組 podcast 20260105" in client.get("/").text
    feed = feedparser.parse(client.get("/feed.xml").content)
    (entry,) = feed.entries
    assert int(entry.enclosures[0].length) == MP3.stat().st_size
    assert int(entry.itunes_duration) == round(episode.audio_duration)
    assert entry.id == "https://podcast.example.jp/episode/600"
    item = ET.fromstring(client.get("/feed.xml").content).find("channel/item")
    chapters_url = item.find("{https://podcastindex.org/namespace/1.0}chapters").get("url")
    chapters = json.loads(client.get(chapters_url.replace("https://podcast.example.jp", "")).content)
    assert [c["startTime"] for c in chapters["chapters"]] == [0, 0.5, 1.2]
    assert client.get("/episode/600/transcript.vtt").status_code == 200


def test_same_post_twice_is_unchanged_and_different_content_is_refused(pipeline):
    publish(pipeline)
    assert "変更なし" in publish(pipeline)
    pipeline.write_text(POST.replace("一本目の記事", "差し替えた記事"), encoding="utf-8")
    with pytest.raises(CommandError, match="--overwrite"):
        publish(pipeline)
    assert Episode.objects.get(number=600).articles.first().title == "一本目の記事"
    assert "更新" in publish(pipeline, "--overwrite")
    assert Episode.objects.get(number=600).articles.first().title == "差し替えた記事"
    assert Episode.objects.count() == 1


def test_draft_and_schedule(pipeline):
    publish(pipeline, "--draft")
    assert Episode.objects.get(number=600).status == "draft"
    Episode.objects.all().delete()
    later = (timezone.now() + timezone.timedelta(days=1)).isoformat()
    assert "予約" in publish(pipeline, "--publish-at", later)
    assert Episode.objects.get(number=600).is_scheduled


def test_explicit_audio_option(pipeline, tmp_path):
    other = tmp_path / "elsewhere.mp3"
    shutil.copy(MP3, other)
    (pipeline.parent / "毎朝の番組_podcast_20260105.mp3").unlink()
    publish(pipeline, "--audio", other)
    assert Episode.objects.get(number=600).audio_file.name.endswith("elsewhere.mp3")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda post: post.write_text("---\ntitle: [broken\n---\n", encoding="utf-8"), "YAML"),
        (lambda post: (post.parent / "毎朝の番組_podcast_20260105.mp3").write_bytes(b"not audio" * 100), "読めません"),
    ],
    ids=["bad-yaml", "not-audio"],
)
def test_refuses_with_a_clear_message_and_writes_nothing(pipeline, change, message):
    change(pipeline)
    with pytest.raises(CommandError, match=message):
        publish(pipeline)
    assert not Episode.objects.exists()


def test_a_percent_encoded_audio_path_is_found(pipeline):
    text = pipeline.read_text(encoding="utf-8")
    encoded = quote("毎朝の番組_podcast_20260105.mp3")
    pipeline.write_text(text.replace("/audio/毎朝の番組_podcast_20260105.mp3", f"/audio/{encoded}"), encoding="utf-8")
    publish(pipeline)
    assert Episode.objects.get(number=600).audio_size == MP3.stat().st_size


def test_missing_audio_option_file(pipeline, tmp_path):
    with pytest.raises(CommandError, match="ありません"):
        publish(pipeline, "--audio", tmp_path / "nope.mp3")


class TestOneRoad:
    def test_nothing_is_written_before_the_post_is_valid(self, pipeline, settings):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        pipeline.write_text(POST.replace("title:", "image_url: /images/relative.png\ntitle:"), encoding="utf-8")
        with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError, match="image_url"):
            publish(pipeline)
        writes = [q["sql"] for q in queries if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
        assert writes == []
        assert not (settings.MEDIA_ROOT / "audio").exists()

    def test_the_import_record_holds_the_bookkeeping_per_source_file(self, pipeline):
        import hashlib

        from episodes.publishing.models import ImportRecord

        publish(pipeline)
        record = ImportRecord.objects.get()
        assert (record.episode.number, record.source) == (600, "2026-01-05-600.md")
        assert record.audio_sha256 == hashlib.sha256(MP3.read_bytes()).hexdigest()
        first_hash = record.source_hash
        pipeline.write_text(POST.replace("一本目の記事", "差し替えた記事"), encoding="utf-8")
        publish(pipeline, "--overwrite")
        record = ImportRecord.objects.get()  # the same post file: its one record, updated
        assert record.source_hash != first_hash
        assert not hasattr(Episode.objects.get(number=600), "source_hash")

    def test_external_audio_is_probed_on_the_way_in(self, client, pipeline, ranged):
        url = ranged.url("/long.mp3")
        pipeline.write_text(POST.replace("/audio/毎朝の番組_podcast_20260105.mp3", url), encoding="utf-8")
        err = io.StringIO()
        call_command("publish_episode", str(pipeline), stdout=io.StringIO(), stderr=err)
        episode = Episode.objects.get(number=600)
        assert episode.audio_size == len(long_mp3()) and not episode.feed_problem
        assert err.getvalue() == ""  # nothing left for probe_audio
        assert episode.feed_guid in client.get("/feed.xml").text

    def test_external_audio_that_cannot_be_read_now_says_why(self, pipeline, ranged):
        pipeline.write_text(
            POST.replace("/audio/毎朝の番組_podcast_20260105.mp3", ranged.url("/gone.mp3")), encoding="utf-8"
        )
        shutil.copy(pipeline.parent / "毎朝の番組_podcast_20260105.json", pipeline.parent / "gone.json")
        err = io.StringIO()
        call_command("publish_episode", str(pipeline), stdout=io.StringIO(), stderr=err)
        episode = Episode.objects.get(number=600)
        assert episode.audio_size is None and episode.audio_duration == 2.0  # the timeline's length
        assert "404" in episode.audio_problem
        assert episode.audio_problem in err.getvalue()
