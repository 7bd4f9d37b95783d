"""The cutover report: what of the old site would break after the switch (episodes/cutover.py)."""

import io
import json

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command

from episodes.models import Episode, Show, Station

from .factories import add_post, image_bytes, jekyll_config, jekyll_post, jekyll_site

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
        unmeasured = [p for p in result["problems"] if p["kind"] == "audio_unmeasured"]
        assert [p["where"] for p in unmeasured] == ["#3"]
        assert "外部の音声" in unmeasured[0]["detail"]
        missing = {p["where"]: p["detail"] for p in result["problems"] if p["kind"] == "feed_item_missing"}
        assert list(missing) == ["#3"]
        assert result["old_feed_items"] == 2  # _posts.bak was never in the old feed
        assert result["articles_in_source"] == result["articles_stored"] == 6
        broken = [p for p in result["problems"] if p["kind"] == "url_broken"]
        assert broken == [], broken

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

    def test_a_lost_article_is_named(self, old_site):
        imported(old_site)
        Episode.objects.get(number=2).articles.first().delete()
        _, out = report(old_site, "-v", "2")
        assert "2026-01-06-2.md: 元の投稿 2 件、保存 1 件" in out
        assert "記事の数が元の投稿より少ない: 1 件" in out

    def test_an_old_image_the_site_folder_lacks_is_a_broken_url(self, old_site):
        (old_site / "images" / "actors" / "zundamon.png").unlink()
        imported(old_site)
        _, out = report(old_site)
        assert "/images/actors/zundamon.png: 404（_config.yml（ずんだもん））" in out


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
