"""Reading Jekyll posts and the site config (episodes/publishing/importers/jekyll.py)."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from episodes.publishing.importers.jekyll import PostError, parse_post, read_config
from tests.factories import write_post
from tests.samples import SAMPLES, needs_samples

JST = ZoneInfo("Asia/Tokyo")


POST = """---
actor_ids:
  - ずんだもん
audio_file_path: /audio/テスト番組_podcast_20260105.mp3
date: 2026-01-05 06:00:00 +0900
description: 'A &amp; B、量子の話'
title: テスト番組 podcast 20260105
information: 来週はお休みなのだ
card: summary
---

## youtube版(スライド付き)

<div class="article-video"><iframe src="https://www.youtube.com/embed/abcdefghijk" title="x"></iframe></div>

## 関連リンク

- [一つ目の記事 [速報]](https://example.com/one)\x20\x20

最初の段落です。
**太字**もあります。

### 小見出し
1. 項目
2. 項目

引用元: https://source.example.com/one


- [二つ目の記事](https://example.com/two)\x20\x20

要約だけで引用元の行がない記事。

- [お便り投稿フォーム](https://forms.gle/abc)

VOICEVOX:ずんだもん
（この番組は架空です）
"""


class TestParsePost:
    def test_every_field(self, tmp_path):
        post = parse_post(write_post(tmp_path, "2026-01-05-42.md", POST))
        assert post.serial == 42
        assert post.title == "テスト番組 podcast 20260105"
        assert post.show_name == "テスト番組"
        assert post.published_at == datetime(2026, 1, 5, 6, 0, tzinfo=JST)
        assert post.description == "A & B、量子の話"
        assert post.notice == "来週はお休みなのだ"
        assert post.actor_ids == ["ずんだもん"]
        assert post.card == "summary"
        assert post.youtube_id == "abcdefghijk"
        assert post.audio_stem == "テスト番組_podcast_20260105"
        assert post.letter_form_url == "https://forms.gle/abc"
        assert post.trailer == "VOICEVOX:ずんだもん\n（この番組は架空です）"

    def test_articles_keep_their_markdown(self, tmp_path):
        first, second = parse_post(write_post(tmp_path, "2026-01-05-42.md", POST)).articles
        assert first.title == "一つ目の記事 [速報]"
        assert first.url == "https://example.com/one"
        assert first.citation_url == "https://source.example.com/one"
        assert first.summary.startswith("最初の段落です。\n**太字**もあります。")
        assert "### 小見出し\n1. 項目\n2. 項目" in first.summary
        assert "引用元" not in first.summary
        assert second.citation_url == "https://example.com/two"  # defaults to the URL
        assert second.summary == "要約だけで引用元の行がない記事。"

    def test_a_note_after_the_date_keeps_the_show_name(self, tmp_path):
        text = POST.replace("title: テスト番組 podcast 20260105", "title: テスト番組 podcast 20260105 ※試験配信中")
        assert parse_post(write_post(tmp_path, "2026-01-05-42.md", text)).show_name == "テスト番組"

    def test_special_episode_has_no_show_name(self, tmp_path):
        text = POST.replace("title: テスト番組 podcast 20260105", "title: 年末スペシャル")
        assert parse_post(write_post(tmp_path, "2026-01-05-43.md", text)).show_name is None

    def test_date_without_zone_is_jst_and_missing_date_uses_the_file_name(self, tmp_path):
        text = POST.replace("date: 2026-01-05 06:00:00 +0900", "date: 2026-01-05 06:00")
        assert parse_post(write_post(tmp_path, "2026-01-05-44.md", text)).published_at.utcoffset().seconds == 9 * 3600
        text = POST.replace("date: 2026-01-05 06:00:00 +0900\n", "")
        assert parse_post(write_post(tmp_path, "2026-01-07-45.md", text)).published_at.day == 7

    @pytest.mark.parametrize(
        ("name", "text", "line", "reason"),
        [
            ("2026-01-05-1.md", "no front matter\n", 1, "フロントマター"),
            ("2026-01-05-2.md", "---\ntitle: [broken\n---\n", 2, "YAML"),
            ("2026-01-05-3.md", "---\ntitle: a\n", 1, "終わり"),
            ("2026-01-05-4.md", "---\ndescription: x\n---\n", 2, "title"),
            ("2026-01-05-5.md", "---\ntitle: t\ndate: someday\n---\n", None, "date"),
            ("notes.md", POST, None, "ファイル名"),
        ],
    )
    def test_broken_posts_name_file_line_and_reason(self, tmp_path, name, text, line, reason):
        with pytest.raises(PostError) as excinfo:
            parse_post(write_post(tmp_path, name, text))
        assert excinfo.value.path.name == name
        assert excinfo.value.line == line
        assert reason in excinfo.value.reason
        assert str(excinfo.value).startswith(name)

    def test_not_utf8(self, tmp_path):
        path = tmp_path / "2026-01-05-9.md"
        path.write_bytes("---\ntitle: 日本語\n---\n".encode("shift_jis"))
        with pytest.raises(PostError, match="UTF-8"):
            parse_post(path)


@needs_samples
class TestRealSamples:
    def test_config(self):
        config = read_config(SAMPLES)
        assert config.title == "株式会社ずんだもん技術室AI放送局"
        assert config.url == "https://zund-arm-on.com"
        assert set(config.actors) == {"ずんだもん", "お嬢様ずんだもん", "ずんだどん", "春日部つむぎ"}
        assert config.actors["春日部つむぎ"].image_url.endswith(".png")

    @pytest.mark.parametrize("path", sorted((SAMPLES / "_posts").glob("*.md")), ids=lambda p: p.name)
    def test_every_sample_parses(self, path):
        post = parse_post(path)
        assert post.articles
        assert all(a.url.startswith("https://") and a.summary and a.citation_url for a in post.articles)
        assert len(post.actor_ids) == 1
        assert "お便り" not in " ".join(a.title for a in post.articles)
        assert post.letter_form_url

    def test_post_371(self):
        post = parse_post(SAMPLES / "_posts" / "2025-11-21-371.md")
        assert post.show_name == "私立ずんだもん女学園放送部"
        assert post.published_at == datetime(2025, 11, 21, 5, 0, tzinfo=JST)
        assert post.youtube_id == "CSIiXmDH9Uw"
        assert [a.title for a in post.articles][0] == "量子技術でDeepSeekを55%小型化、「検閲解除」にも成功"
        assert len(post.articles) == 3

    def test_entities_in_description_are_decoded(self):
        post = parse_post(SAMPLES / "_posts" / "2026-08-20-549.md")
        assert "API Pricing & Benchmarks" in post.description
        assert "&amp;" not in post.description

    def test_absolute_audio_url_and_notice(self):
        post = parse_post(SAMPLES / "_posts" / "2025-02-21-187.md")
        assert post.audio_path.startswith("https://storage.googleapis.com/")
        assert post.notice.startswith("今週から")
        assert post.youtube_id == ""


class TestCostBoundedBeforeWork:
    """Finding 5: a 533-byte post of YAML aliases expanded 10^8 times before the API answered."""

    def alias_bomb(self, levels: int = 9) -> str:
        lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, levels)]
        return "---\n" + "\n".join(lines) + f"\ntitle: *a{levels - 1}\n---\n本文\n"

    def test_aliases_are_refused_at_once(self, tmp_path):
        path = write_post(tmp_path, "2026-01-05-1.md", self.alias_bomb())
        assert path.stat().st_size < 1024
        started = time.process_time()
        with pytest.raises(PostError, match="エイリアス"):
            parse_post(path)
        assert time.process_time() - started < 0.5

    def test_anchors_without_aliases_still_read(self, tmp_path):
        path = write_post(tmp_path, "2026-01-05-1.md", POST.replace("title:", "extra: &x 1\ntitle:", 1))
        assert parse_post(path).title == "テスト番組 podcast 20260105"

    def test_config_refuses_aliases_too(self, tmp_path):
        (tmp_path / "_config.yml").write_text("a: &a [1, 2]\nb: *a\n", encoding="utf-8")
        with pytest.raises(PostError, match="エイリアス"):
            read_config(tmp_path)

    def test_a_post_larger_than_a_megabyte_is_not_read(self, tmp_path):
        path = write_post(tmp_path, "2026-01-05-1.md", POST + "あ" * 400_000)
        with pytest.raises(PostError, match="大きすぎます"):
            parse_post(path)


def test_an_impossible_yaml_date_is_a_post_error(tmp_path):
    # Found by tests/test_fuzz.py: PyYAML's timestamp constructor raised ValueError (a 500 through the API).
    for day in ("2026-02-30", "0000-01-01"):
        path = write_post(tmp_path, "2026-01-05-1.md", POST.replace("date: 2026-01-05 06:00:00 +0900", f"date: {day}"))
        with pytest.raises(PostError):
            parse_post(path)


def test_escaped_emoji_in_yaml_is_one_character(tmp_path):
    # PyYAML decodes "\ud83d\ude00" as two surrogate halves that UTF-8 cannot encode (a 500 through the API).
    path = write_post(
        tmp_path,
        "2026-01-05-1.md",
        POST.replace("information: 来週はお休みなのだ", 'information: "休み\\ud83d\\ude00\\u000b"'),
    )
    assert parse_post(path).notice == "休み😀"
