"""The cutover report: what of the old site would break after the switch (episodes/publishing/cutover.py)."""

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection

from episodes.catalogue.models import Episode, Show, Station
from tests.factories import add_post, image_bytes, jekyll_config, jekyll_post, jekyll_site

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_site(tmp_path):
    site = jekyll_site(tmp_path / "old", jekyll_config(title="切替テスト局", actor_image="/images/actors/zundamon.png"))
    (site / "feed.xml").write_text("{% for post in site.posts limit: 10 %}{{ post.url }}{% endfor %}", encoding="utf-8")
    cover = "https://old.example.jp/images/cover{}.png"
    add_post(
        site,
        jekyll_post(2, day="06", show="切替番組", image=cover.format(2), articles=2),
        serial=2,
        day="06",
        mp3="切替番組_podcast_20260106.mp3",
    )
    cloud = "https://cloud.example.net/切替番組_podcast_20260107.mp3"
    add_post(
        site,
        jekyll_post(3, day="07", show="切替番組", audio=cloud, image=cover.format(3), articles=2),
        serial=3,
        day="07",
    )
    add_post(
        site,
        jekyll_post(1, day="05", show="切替番組", image=cover.format(1), articles=2),
        serial=1,
        day="05",
        folder="_posts.bak",
        mp3="切替番組_podcast_20260105.mp3",
    )
    for name in ("cover1.png", "cover2.png", "cover3.png", "actors/zundamon.png"):
        (site / "images" / name).write_bytes(image_bytes())
    return site


def report(site, *args) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("cutover_report", str(site), *args, stdout=out)
    except SystemExit as exc:
        return exc.code, out.getvalue()
    return 0, out.getvalue()


def imported(site):
    call_command("import_jekyll", str(site), stdout=io.StringIO(), stderr=io.StringIO())


class TestBeforeTheMove:
    def test_an_empty_site_fails_on_every_count(self, old_site):
        code, out = report(old_site)
        assert code == 1
        assert "旧フィードの項目: 0/2 件が新しいフィードにあります" in out
        assert "#2: エピソードがありません（取り込まれていません）" in out


class TestAfterImport:
    def test_lists_exactly_what_is_still_external_and_unprobed(self, old_site):
        imported(old_site)
        code, data = report(old_site, "--json")
        result = json.loads(data)
        assert code == 1 and result["ready"] is False
        assert {p["kind"] for p in result["problems"]} == {
            "audio_unmeasured_external",
            "feed_item_unmeasured_external",
        }, result["problems"]
        unmeasured = [p for p in result["problems"] if p["kind"] == "audio_unmeasured_external"]
        assert [p["where"] for p in unmeasured] == ["#3"]
        assert "外部の音声" in unmeasured[0]["detail"]
        assert [p["where"] for p in result["problems"] if p["kind"] == "feed_item_unmeasured_external"] == ["#3"]
        assert result["old_feed_items"] == 2  # _posts.bak was never in the old feed
        assert result["articles_in_source"] == result["articles_stored"] == 6
        assert result["newly_published"] == 1

    def test_offline_only_the_network_is_left_and_it_exits_0(self, old_site):
        imported(old_site)
        code, out = report(old_site, "--offline")
        assert code == 0, out
        assert "切り替えの準備ができています。" in out
        assert "外部（クラウド）の音声がまだ測れておらずフィードに載らない（probe_audio、要ネットワーク）: 1 件" in out

    def test_without_offline_it_says_only_the_network_is_left(self, old_site):
        imported(old_site)
        code, out = report(old_site)
        assert code == 1
        assert "残っているのはネットワークが要るものだけです" in out

    def test_feed_items_before_and_after_per_feed(self, old_site):
        imported(old_site)
        Episode.objects.filter(number=3).update(audio_size=1234, audio_duration=61.0)
        _, data = report(old_site, "--json")
        feeds = {feed["path"]: (feed["before"], feed["after"]) for feed in json.loads(data)["feeds"]}
        show = Show.objects.get()
        # The old feed had the two live posts; the new one adds the _posts.bak episode brought back online.
        assert feeds == {"/feed.xml": (2, 3), f"/shows/{show.slug}/feed.xml": (None, 3)}

    def test_ready_once_audio_is_measured_and_feeds_have_artwork(self, old_site):
        imported(old_site)
        Episode.objects.filter(number=3).update(audio_size=1234, audio_duration=61.0)
        station = Station.load()
        station.artwork.save("station.png", ContentFile(image_bytes(1400, 1400)))
        for show in Show.objects.all():
            show.artwork.save("show.png", ContentFile(image_bytes(1400, 1400)))
        code, out = report(old_site)
        assert code == 0, out
        assert "切り替えの準備ができています。" in out
        assert "旧フィードの項目: 2/2 件" in out
        assert "/feed.xml: 2 件 → 3 件" in out

    def test_a_lost_article_is_named(self, old_site):
        imported(old_site)
        Episode.objects.get(number=2).articles.first().delete()
        _, out = report(old_site, "-v", "2")
        assert "2026-01-06-2.md: 元の投稿 2 件、保存 1 件" in out
        assert "記事の数が元の投稿より少ない: 1 件" in out

    def test_an_article_the_importers_reader_cannot_read_is_counted_by_the_second_reader(self, old_site):
        # Link text running past the lines the line reader joins: the importer names it, the report counts it.
        long_title = "\n".join(f"長い題の{n}行目" for n in range(12))
        post = old_site / "_posts" / "2026-01-06-2.md"
        post.write_text(
            post.read_text(encoding="utf-8") + f"- [{long_title}](https://news.example.com/long)\n\n要約。\n",
            encoding="utf-8",
        )
        imported(old_site)
        _, data = report(old_site, "--json")
        result = json.loads(data)
        assert result["articles_in_source"] == 7 and result["articles_stored"] == 6
        assert [p["where"] for p in result["problems"] if p["kind"] == "articles_missing"] == ["2026-01-06-2.md"]

    def test_an_image_the_site_folder_lacks_is_a_file_to_upload_not_a_broken_address(self, old_site):
        (old_site / "images" / "actors" / "zundamon.png").unlink()
        imported(old_site)
        _, data = report(old_site, "--json")
        result = json.loads(data)
        assert [(n["kind"], n["where"]) for n in result["notes"] if n["kind"] == "image_to_upload"] == [
            ("image_to_upload", "/images/actors/zundamon.png")
        ]
        assert [p for p in result["problems"] if p["kind"].startswith("url_")] == []

    def test_archived_posts_are_not_old_addresses(self, old_site):
        imported(old_site)
        _, data = report(old_site, "--json")
        result = json.loads(data)
        # The old public set: /, /index.html, /feed.xml, 2 live episodes (+ .html), 2 MP3s… but no _posts.bak #1.
        assert result["urls_by_kind"]["エピソード"] == 4
        assert all("#1" not in p["where"] for p in result["problems"])


class TestWritesNothing:
    def test_every_tables_row_count_is_the_same_after(self, old_site, client):
        imported(old_site)
        Episode.objects.filter(number=3).update(audio_size=1234, audio_duration=61.0)
        before = row_counts()
        assert report(old_site)[0] == 0
        assert row_counts() == before
        # The same old audio address, asked by a listener, does record a download: the report did not.
        client.get("/audio/切替番組_podcast_20260106.mp3", HTTP_USER_AGENT="AppleCoreMedia/1.0")
        assert row_counts() != before


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 - names from the introspection
            counts[table] = cursor.fetchone()[0]
    return counts


class TestAsThePublicSite:
    def test_an_https_site_is_asked_over_https_not_counted_as_redirect_loops(self, old_site, settings):
        settings.SITE_URL = "https://podcast.example.jp"
        settings.ALLOWED_HOSTS = ["podcast.example.jp"]
        settings.SECURE_SSL_REDIRECT = True
        imported(old_site)
        _, data = report(old_site, "--json")
        result = json.loads(data)
        assert [p for p in result["problems"] if p["kind"] == "url_broken"] == []
        assert result["urls_ok"] == result["urls_checked"] > 10
