"""Importing the archive: shows, cast, episodes, articles, idempotence (episodes/publishing/importers/archive.py)."""

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from episodes.catalogue.models import Actor, Episode, LegacyPath, LinkedArticle, Show, Station
from episodes.publishing.importers.archive import NOT_PROBED
from episodes.publishing.models import ImportRecord
from tests.audio_server import long_mp3
from tests.factories import MP3
from tests.samples import needs_samples, sample_site

pytestmark = [pytest.mark.django_db, needs_samples]
JST = ZoneInfo("Asia/Tokyo")


def run_import(site, *args):
    out = io.StringIO()
    call_command("import_jekyll", str(site), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def counts():
    return {model.__name__: model.objects.count() for model in (Show, Actor, Episode, LinkedArticle, LegacyPath)}


@pytest.fixture
def site(tmp_path):
    return sample_site(tmp_path, with_audio=True)


class TestRealSamples:
    def test_summary_and_counts(self, site):
        out = run_import(site)
        assert "新規 6、更新 0、変更なし 0、スキップ 0" in out
        assert Show.objects.count() == 4
        assert Actor.objects.count() == 4
        assert Episode.objects.count() == 6

    def test_episode_371_field_by_field(self, site):
        run_import(site)
        episode = Episode.objects.get(number=371)
        assert episode.show.name == "私立ずんだもん女学園放送部"
        assert episode.title == "私立ずんだもん女学園放送部 podcast 20251121"
        assert episode.published_at.astimezone(JST) == datetime(2025, 11, 21, 5, 0, tzinfo=JST)
        assert [a.name for a in episode.actors] == ["お嬢様ずんだもん"]
        assert episode.description.startswith("量子技術でDeepSeekを55%小型化")
        assert episode.notice == ""
        assert episode.youtube_id == "CSIiXmDH9Uw"
        assert episode.guid == "https://zund-arm-on.com/episode/371"
        assert episode.status == "published"
        assert episode.audio_size == MP3.stat().st_size
        # The samples hold no images/ folder: a link to the old domain's missing file would break after the
        # switch, so the episode has no image of its own (the page shows its show's) and the import names it.
        assert episode.image_url == "" and not episode.image
        articles = list(episode.articles.all())
        assert [a.title for a in articles] == [
            "量子技術でDeepSeekを55%小型化、「検閲解除」にも成功",
            "LLM で使われる位置情報のベクトル化について調べてみる",
            "Early experiments in accelerating science with GPT-5",
        ]
        assert articles[0].url.startswith("https://www.technologyreview.jp/s/372724/")
        assert articles[0].citation_url == articles[0].url
        assert articles[2].citation_url == "https://openai.com/index/accelerating-science-gpt-5"
        assert all(a.summary and "引用元" not in a.summary for a in articles)
        assert all(a.summary_html.startswith("<p>") for a in articles)
        assert [a.start_seconds for a in articles] == [None, None, None]

    def test_episode_550_transcript_and_start_times(self, site):
        run_import(site)
        episode = Episode.objects.get(number=550)
        assert episode.show.name == "私立ずんだもん女学園放送部"
        assert episode.guid == "https://zund-arm-on.com/episode/550"
        assert episode.youtube_id == "0aR63e1eKtA"
        assert episode.transcript.startswith("マリア様のお庭に集う乙女達が")
        assert [a.start_seconds for a in episode.articles.all()] == [65.166, 164.029, 252.637, 338.282]
        assert len(episode.transcript_cues) >= 20
        assert episode.transcript_cues[0][0] == 36.0  # the first slide with narration
        assert episode.has_chapters

    def test_notice_external_audio_and_actor_credits(self, site):
        run_import(site)
        special = Episode.objects.get(number=187)
        assert special.notice.startswith("今週から毎週金曜日は")
        assert special.audio_url.startswith("https://storage.googleapis.com/podcast-zund-arm-on/audio/")
        assert special.audio_size is None  # left for probe_audio; kept out of the feed
        assert special.audio_problem == NOT_PROBED
        assert special.feed_problem.endswith(NOT_PROBED)
        assert Actor.objects.get(name="ずんだどん").credit == "VOICEVOX:ちび式じい"  # learned from the post
        assert Actor.objects.get(name="お嬢様ずんだもん").credit == "VOICEVOX:ずんだもん"
        assert Episode.objects.get(number=549).notes == "（株式会社ずんだもんは架空の登場組織です）"
        assert Episode.objects.get(number=455).social_card == "summary"

    def test_station_from_config(self, site):
        run_import(site)
        station = Station.load()
        assert station.name == "株式会社ずんだもん技術室AI放送局"
        assert station.owner_email == "takaaki.inada@gmail.com"
        assert "平日毎朝6時配信" in station.description


class TestIdempotence:
    def test_reimport_changes_nothing(self, site):
        run_import(site)
        before = counts()
        out = run_import(site)
        assert "新規 0、更新 0、変更なし 6、スキップ 0" in out
        assert counts() == before

    def test_dry_run_writes_nothing(self, site):
        out = run_import(site, "--dry-run")
        assert "新規 6" in out and "試行のみ" in out
        assert counts() == {"Show": 0, "Actor": 0, "Episode": 0, "LinkedArticle": 0, "LegacyPath": 0}

    def test_changed_post_updates_in_place(self, site):
        run_import(site)
        post = site / "_posts" / "2026-08-20-549.md"
        post.write_text(
            post.read_text(encoding="utf-8").replace("LLM-jp-4 33B", "LLM-jp-4 33B（訂正）"), encoding="utf-8"
        )
        assert "更新 1" in run_import(site)
        assert "（訂正）" in Episode.objects.get(number=549).articles.first().title
        assert Episode.objects.count() == 6

    def test_cms_edits_are_kept_unless_overwrite(self, site):
        run_import(site)
        episode = Episode.objects.get(number=549)
        episode.title = "編集者が直したタイトル"
        episode.save()
        post = site / "_posts" / "2026-08-20-549.md"
        post.write_text(post.read_text(encoding="utf-8").replace("NVIDIA", "NVIDIA社"), encoding="utf-8")
        with pytest.raises(CommandError):
            run_import(site)
        assert Episode.objects.get(number=549).title == "編集者が直したタイトル"
        run_import(site, "--overwrite")
        assert Episode.objects.get(number=549).title == "株式会社ずんだもん技術室AI放送局 podcast 20260820"

    def test_unchanged_post_after_cms_edit_stays_unchanged(self, site):
        run_import(site)
        Episode.objects.filter(number=371).update(title="直した")
        assert "変更なし 6" in run_import(site)
        assert Episode.objects.get(number=371).title == "直した"


class TestProblems:
    def test_broken_yaml_is_skipped_and_named_while_the_rest_import(self, site):
        (site / "_posts" / "2026-08-22-551.md").write_text("---\ntitle: [oops\n---\n", encoding="utf-8")
        out = io.StringIO()
        with pytest.raises(CommandError, match="1 件"):
            call_command("import_jekyll", str(site), stdout=out, stderr=io.StringIO())
        assert "2026-08-22-551.md:2" in out.getvalue()
        assert Episode.objects.count() == 6

    def test_an_article_that_cannot_be_read_is_named_with_file_and_line(self, site):
        post = (
            "---\nactor_ids:\n  - zundamon\naudio_file_path: /audio/none.mp3\ndate: 2026-08-22 06:00:00 +0900\n"
            "title: 取り込みの番組 podcast 20260822\n---\n\n## 関連リンク\n\n- [読める記事](https://example.com/a)\n\n"
            "要約。\n\n引用元: https://example.com/a\n\n- [閉じない題\n\n- []()\n\n行き先なし。\n"
        )
        (site / "_posts" / "2026-08-22-551.md").write_text(post, encoding="utf-8")
        out = run_import(site, "--only", "2026-08-22-*")
        assert "2026-08-22-551.md:17: 記事のリンクとして読めない行です" in out
        assert "2026-08-22-551.md:19: リンク先のない記事は記事にせず、要約を補足に残しました" in out
        assert "article_unreadable: 1 件" in out
        assert [a.title for a in Episode.objects.get(number=551).articles.all()] == ["読める記事"]

    def test_cloud_audio_with_raw_spaces_is_imported_not_skipped(self, site):
        post = (
            "---\nactor_ids:\n  - zundamon\n"
            "audio_file_path: https://storage.example.com/podcast/記念 特別回なのだ_podcast_20260526.mp3\n"
            "date: 2026-05-26 06:00:00 +0900\ntitle: 記念の特別回\n---\n"
        )
        (site / "_posts" / "2026-05-26-248.md").write_text(post, encoding="utf-8")
        out = run_import(site, "--only", "2026-05-26-*", "--default-show", "私立ずんだもん女学園放送部")
        assert "新規 1" in out and "スキップ 0" in out
        episode = Episode.objects.get(number=248)
        assert episode.audio_url.endswith(
            "/%E8%A8%98%E5%BF%B5%20%E7%89%B9%E5%88%A5%E5%9B%9E%E3%81%AA%E3%81%AE%E3%81%A0_podcast_20260526.mp3"
        )
        assert episode.status == "published"

    def test_missing_audio_imports_as_draft_with_a_warning(self, tmp_path):
        site = sample_site(tmp_path, with_audio=False)
        out = run_import(site, "-v", "2")
        assert "audio_missing: 5 件" in out
        episode = Episode.objects.get(number=371)
        assert episode.status == "draft"
        # Found on a later run with the audio: the episode is updated and published.
        (site / "audio" / "私立ずんだもん女学園放送部_podcast_20251121.mp3").write_bytes(MP3.read_bytes())
        assert "更新 1" in run_import(site)
        assert Episode.objects.get(number=371).status == "published"

    def test_only_glob(self, site):
        assert "新規 1" in run_import(site, "--only", "2026-08-21-*")
        assert list(Episode.objects.values_list("number", flat=True)) == [550]

    def test_bak_posts_are_imported_and_live_wins_on_a_duplicate(self, site):
        bak = site / "_posts.bak"
        bak.mkdir()
        old = (site / "_posts" / "2025-11-21-371.md").read_text(encoding="utf-8")
        (bak / "2024-01-05-12.md").write_text(old.replace("20251121", "20240105"), encoding="utf-8")
        (bak / "2025-11-21-371.md").write_text(old.replace("量子技術", "古い版の量子技術"), encoding="utf-8")
        run_import(site)
        assert Episode.objects.filter(number=12).exists()
        assert "古い版" not in Episode.objects.get(number=371).description

    @pytest.mark.parametrize(
        ("choice", "statuses", "said"),
        [
            ("publish", {12: "published"}, "_posts.bak/（旧サイトで非公開）の投稿 1 件: 公開しました"),
            ("draft", {12: "draft"}, "_posts.bak/（旧サイトで非公開）の投稿 1 件: 下書きにしました"),
            ("skip", {}, "_posts.bak/（旧サイトで非公開）の投稿 1 件: 取り込みませんでした"),
        ],
    )
    def test_archived_posts_follow_the_choice_and_are_counted(self, site, choice, statuses, said):
        bak = site / "_posts.bak"
        bak.mkdir()
        old = (site / "_posts" / "2025-11-21-371.md").read_text(encoding="utf-8")
        (bak / "2024-01-05-12.md").write_text(old.replace("20251121", "20240105"), encoding="utf-8")
        (site / "audio" / "私立ずんだもん女学園放送部_podcast_20240105.mp3").write_bytes(MP3.read_bytes())
        out = run_import(site, f"--archived={choice}")
        assert said in out
        assert dict(Episode.objects.filter(number=12).values_list("number", "status")) == statuses
        assert Episode.objects.get(number=371).status == "published"

    def test_special_episode_goes_to_its_hosts_show(self, site):
        post = site / "_posts" / "2026-08-17-546.md"
        text = post.read_text(encoding="utf-8").replace(
            "title: マジカルラブリー☆つむぎのピュアピュアA.I.放送局 podcast 20260817", "title: 夏休みスペシャル"
        )
        (site / "_posts" / "2026-08-18-547.md").write_text(text, encoding="utf-8")
        run_import(site)
        assert Episode.objects.get(number=547).show.name == "マジカルラブリー☆つむぎのピュアピュアA.I.放送局"

    def test_show_map_file(self, site, tmp_path):
        mapping = tmp_path / "shows.yml"
        mapping.write_text("株式会社ずんだどん技術室AI放送局: 株式会社ずんだもん技術室AI放送局\n", encoding="utf-8")
        run_import(site, "--show-map", str(mapping))
        assert Episode.objects.get(number=455).show.name == "株式会社ずんだもん技術室AI放送局"
        assert Show.objects.count() == 3


def test_a_re_rendered_mp3_of_the_same_size_replaces_the_old_one(site):
    run_import(site)
    episode = Episode.objects.get(number=371)
    old_url = episode.audio_src
    mp3 = site / "audio" / "私立ずんだもん女学園放送部_podcast_20251121.mp3"
    data = bytearray(mp3.read_bytes())
    data[-200] ^= 0xFF  # different audio bytes, same size
    mp3.write_bytes(bytes(data))
    assert "更新 1" in run_import(site)
    episode.refresh_from_db()
    assert episode.audio_src != old_url
    assert episode.audio_size == len(data)


def link_special_audio(site, url: str) -> None:
    """Point the samples' special (#187), whose audio is on cloud storage, at `url` instead."""
    post = site / "_posts" / "2025-02-21-187.md"
    text = post.read_text(encoding="utf-8")
    old_url = next(line for line in text.splitlines() if line.startswith("audio_file_path:")).split(" ", 1)[1]
    post.write_text(text.replace(old_url, url), encoding="utf-8")


class TestExternalAudio:
    def test_probe_reads_it_through_the_one_road_and_clears_the_reason(self, site, ranged):
        link_special_audio(site, ranged.url("/long.mp3"))
        run_import(site)
        assert Episode.objects.get(number=187).audio_problem == NOT_PROBED
        run_import(site, "--probe")
        special = Episode.objects.get(number=187)
        assert special.audio_size == len(long_mp3()) and special.audio_problem == ""
        assert not special.feed_problem


def test_import_bookkeeping_is_one_record_per_episode_and_source_file(site):
    run_import(site)
    assert ImportRecord.objects.count() == 6
    record = ImportRecord.objects.get(episode__number=550)
    assert record.source == "2026-08-21-550.md"
    assert len(record.source_hash) == len(record.written_hash) == len(record.audio_sha256) == 64
    run_import(site)
    assert ImportRecord.objects.count() == 6
