"""The 関連リンク list in every shape the archive holds (episodes/publishing/importers/links.py)."""

from episodes.publishing.importers.jekyll import parse_post
from tests.factories import write_post

FRONT = """---
actor_ids:
  - ずんだもん
audio_file_path: /audio/形の番組_podcast_20260105.mp3
date: 2026-01-05 06:00:00 +0900
title: 形の番組 podcast 20260105
---

## 関連リンク

"""
FOOTER = """
- [お便り投稿フォーム](https://forms.gle/abc)

VOICEVOX:ずんだもん
"""


def post_with(tmp_path, links: str):
    return parse_post(write_post(tmp_path, "2026-01-05-7.md", FRONT + links + FOOTER))


class TestArticleShapes:
    """Shapes the whole archive holds: every article arrives, or is named in a warning."""

    def test_a_heading_inside_a_summary_stays_in_it(self, tmp_path):
        post = post_with(
            tmp_path,
            "- [見出し入りの記事](https://example.com/a)\n\n導入の文。\n\n## 要点\n\n要点の文。\n\n"
            "引用元: https://example.com/a\n\n- [次の記事](https://example.com/b)\n\n次の要約。\n\n"
            "引用元: https://example.com/b\n",
        )
        assert [a.title for a in post.articles] == ["見出し入りの記事", "次の記事"]
        assert "## 要点\n\n要点の文。" in post.articles[0].summary
        assert post.letter_form_url == "https://forms.gle/abc"
        assert post.warnings == []

    def test_a_heading_in_the_last_summary_stays_in_it_and_a_later_one_ends_the_list(self, tmp_path):
        text = FRONT + (
            "- [最後の記事](https://example.com/z)\n\n## 背景\n\n背景の文。\n\n引用元: https://example.com/z\n\n"
            "## あとがき\n\n関連リンクではない文。\n"
        )
        post = parse_post(write_post(tmp_path, "2026-01-05-7.md", text))
        assert [a.title for a in post.articles] == ["最後の記事"]
        assert "背景の文。" in post.articles[0].summary
        assert "関連リンクではない" not in post.articles[0].summary + post.trailer

    def test_link_text_broken_across_lines(self, tmp_path):
        post = post_with(
            tmp_path,
            "- [改行された\n長い題の記事](https://example.com/long)\n\n要約。\n\n引用元: https://example.com/long\n\n"
            "- [Two line\nEnglish title](https://example.com/en)\n\nSummary.\n\n引用元: https://example.com/en\n",
        )
        assert [(a.title, a.url) for a in post.articles] == [
            ("改行された長い題の記事", "https://example.com/long"),
            ("Two line English title", "https://example.com/en"),
        ]
        assert post.articles[0].summary == "要約。"
        assert post.warnings == []

    def test_empty_link_text_takes_a_title_from_the_url(self, tmp_path):
        post = post_with(
            tmp_path,
            "- [](https://news.example.com/2026/%E8%A8%98%E4%BA%8B)\n\n要約。\n\n引用元: https://news.example.com/\n",
        )
        assert [(a.title, a.url) for a in post.articles] == [
            ("news.example.com/2026/記事", "https://news.example.com/2026/%E8%A8%98%E4%BA%8B")
        ]

    def test_an_empty_link_takes_its_url_from_the_citation(self, tmp_path):
        post = post_with(tmp_path, "- []()\n\n要約だけの記事。\n\n引用元: https://cited.example.com/p\n")
        assert [(a.title, a.url, a.summary) for a in post.articles] == [
            ("cited.example.com/p", "https://cited.example.com/p", "要約だけの記事。")
        ]

    def test_an_article_with_no_url_at_all_is_named(self, tmp_path):
        post = post_with(tmp_path, "- []()\n\n行き先のない要約。\n")
        assert post.articles == []
        assert [code for code, _ in post.warnings] == ["article_without_url"]
        assert post.trailer.startswith("行き先のない要約。")  # kept as text, visibly
        assert "2026-01-05-7.md:" in post.warnings[0][1]

    def test_text_around_the_letter_line_is_kept(self, tmp_path):
        text = FRONT + (
            "- [記事](https://example.com/a)\n\n要約。\n\n引用元: https://example.com/a\n\n"
            "番組への感想をお待ちしています。\n\n- [お便り投稿フォーム](https://forms.gle/abc)\n\n"
            "VOICEVOX:ずんだもん\n"
        )
        post = parse_post(write_post(tmp_path, "2026-01-05-7.md", text))
        assert "番組への感想をお待ちしています。" in post.trailer
        assert "VOICEVOX:ずんだもん" in post.trailer

    def test_a_link_whose_text_never_closes_is_named_with_its_line(self, tmp_path):
        post = post_with(tmp_path, "- [閉じない題\n\n要約。\n")
        assert post.articles == []
        assert [code for code, _ in post.warnings] == ["article_unreadable"]
        assert "2026-01-05-7.md:11" in post.warnings[0][1]

    def test_urls_with_raw_spaces_and_japanese_are_percent_encoded(self, tmp_path):
        text = (
            FRONT.replace(
                "/audio/形の番組_podcast_20260105.mp3", "https://storage.example.com/p/記念 特別回_podcast_20260105.mp3"
            )
            + "- [記事](https://example.com/日本語/ページ)\n\n要約。\n"
        )
        post = parse_post(write_post(tmp_path, "2026-01-05-7.md", text))
        encoded = "https://storage.example.com/p/%E8%A8%98%E5%BF%B5%20%E7%89%B9%E5%88%A5%E5%9B%9E_podcast_20260105.mp3"
        assert post.audio_path == encoded
        assert post.audio_stem == "記念 特別回_podcast_20260105"
        assert post.articles[0].url == "https://example.com/%E6%97%A5%E6%9C%AC%E8%AA%9E/%E3%83%9A%E3%83%BC%E3%82%B8"

    def test_a_bracketed_bullet_in_a_summary_is_not_an_item(self, tmp_path):
        post = post_with(
            tmp_path,
            "- [記事](https://example.com/a)\n\n- [注] 箇条書きの注記\n- [次](https://example.com/b)\n\n要約。\n",
        )
        assert [a.title for a in post.articles] == ["記事", "次"]
        assert "- [注] 箇条書きの注記" in post.articles[0].summary
        assert post.warnings == []

    def test_a_title_suffix_wrapped_onto_a_line_that_looks_like_a_list_item(self, tmp_path):
        post = post_with(
            tmp_path,
            "- [長い題の記事　 副題まである\n - ニュースサイト](https://example.com/wrapped)  \n\n要約。\n\n"
            "引用元: https://example.com/wrapped\n",
        )
        assert [(a.title, a.url) for a in post.articles] == [
            ("長い題の記事　 副題まである - ニュースサイト", "https://example.com/wrapped")
        ]
        assert post.articles[0].summary == "要約。"
        assert post.warnings == []

    def test_link_text_of_several_paragraphs(self, tmp_path):
        post = post_with(
            tmp_path,
            "- [A post is launching soon!\n\nIts second paragraph goes on.\n\nAnd a third ends it]"
            "(https://social.example.com/status/1)  \n\n\n投稿の要約。\n\n引用元: https://social.example.com/status/1\n\n"
            "- [次の記事](https://example.com/next)\n\n次の要約。\n",
        )
        assert [(a.title, a.url) for a in post.articles] == [
            (
                "A post is launching soon! Its second paragraph goes on. And a third ends it",
                "https://social.example.com/status/1",
            ),
            ("次の記事", "https://example.com/next"),
        ]
        assert post.articles[0].summary == "投稿の要約。"
        assert post.warnings == []
