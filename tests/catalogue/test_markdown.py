"""Markdown is rendered once and sanitised: nothing executable reaches a page; cost stays linear."""

import re
import time

import pytest

from episodes.catalogue.markdown import render_markdown, sanitize_html

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "<a href='javascript:alert(1)'>x</a>",
    "<iframe src='https://evil.example'></iframe>",
    "<style>body{display:none}</style>",
    '<p style="position:fixed">x</p>',
    "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
    "<svg onload=alert(1)></svg>",
    "<a href='vbscript:msgbox(1)'>x</a>",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attacks_are_removed(attack):
    html = render_markdown(f"前置き\n\n{attack}\n\n後書き").lower()
    for needle in ("<script", "onerror", "onload", "<iframe", "<style", "style=", "<svg"):
        assert needle not in html
    # A refused link stays as inert text; no attribute may hold such a URL.
    assert not re.search(r"(?:href|src)=\"?[^\">]*(?:javascript|vbscript|data):", html)
    assert "前置き" in html and "後書き" in html


def test_formatting_is_kept():
    html = render_markdown(
        "## 見出し\n\n**太字** と *斜体* と `code`\n\n- 一つ目\n- 二つ目\n\n1. 順番\n\n"
        "[リンク](https://example.com/a)\n\n![画像](https://example.com/i.png)\n\n```\nprint(1)\n```"
    )
    for fragment in (
        "<h2>見出し</h2>",
        "<strong>太字</strong>",
        "<em>斜体</em>",
        "<code>code</code>",
        "<li>一つ目</li>",
        "<ol>",
        'href="https://example.com/a"',
        'src="https://example.com/i.png"',
        "<pre>",
    ):
        assert fragment in html


def test_links_get_safe_rel():
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[a](https://example.com)")


def test_blank_is_empty():
    assert render_markdown("") == ""
    assert render_markdown("  \n ") == ""


def test_sanitize_keeps_text_escaped():
    assert sanitize_html("1 < 2 & 3") == "1 &lt; 2 &amp; 3"


class TestLikeTheOldSite:
    """GFM as kramdown showed it on the old site (issue 16): the shapes found in the archive."""

    def test_a_list_right_after_a_paragraph_line(self):
        html = render_markdown("以下の3つです。\n1. 一つ目\n2. 二つ目\n3. 三つ目")
        assert html.startswith("<p>以下の3つです。</p>\n<ol>")
        assert html.count("<li>") == 3
        bullets = render_markdown("ポイント:\n- 速い\n- 安い")
        assert "<ul>" in bullets and bullets.count("<li>") == 2

    def test_line_breaks_are_kept(self):
        assert render_markdown("一行目\n二行目") == "<p>一行目<br>\n二行目</p>\n"

    def test_bare_urls_become_links(self):
        html = render_markdown("詳しくは https://example.com/a_b?x=1 を。www.example.jp も。末尾 https://e.jp/x.")
        assert '<a href="https://example.com/a_b?x=1"' in html
        assert '<a href="http://www.example.jp"' in html
        assert '<a href="https://e.jp/x"' in html  # the full stop is not part of the URL
        assert "を。" in html

    def test_tables_with_alignment(self):
        html = render_markdown("|項目|値|\n|:-|-:|\n|速度|10|")
        assert "<table>" in html and "<th" in html and '<td style="text-align:right">10</td>' in html

    def test_strikethrough_and_code(self):
        html = render_markdown("~~古い~~ `code`\n\n```\nprint(1)\n```")
        assert "<s>古い</s>" in html and "<code>code</code>" in html and "<pre><code>print(1)" in html

    def test_only_alignment_survives_in_styles(self):
        html = render_markdown('<td style="text-align:left;position:fixed">x</td>')
        assert "position" not in html


# Inputs that made Python-Markdown (or linkify-it) quadratic or worse.
PATHOLOGICAL = ["[", "![", "[x](", "*_", "<http://", "http://a", "www.", "&#", "<a ", "|x|y|\n", "- ", "> "]


class TestLinearCost:
    """Finding 6: `'[' * 10000` took 30 s through the markdownx preview."""

    def test_ten_thousand_brackets_in_well_under_a_second(self):
        started = time.process_time()
        render_markdown("[" * 10000)
        assert time.process_time() - started < 1.5  # Python-Markdown: 30 s; here about 0.2 s

    @pytest.mark.parametrize("unit", PATHOLOGICAL)
    def test_eight_times_the_input_takes_about_eight_times_as_long(self, unit):
        def cost(repeat: int) -> float:
            text = unit * repeat
            best = float("inf")
            for _ in range(3):
                # CPU time of this process: other work on a shared machine does not count.
                started = time.process_time()
                render_markdown(text)
                best = min(best, time.process_time() - started)
            return best

        small = max(1, 1000 // len(unit))
        ratio = cost(small * 8) / max(cost(small), 0.005)
        assert ratio < 24, ratio  # linear is 8; quadratic would be 64


@pytest.mark.parametrize(
    "text",
    [
        "[a",
        "以下\n1. a\n2. b",
        "https://x.jp/a [b",
        "<https://a.jp>",
        "![x",
        "|a|b|\n|-|-|\n|1|2|",
        "[" * 50,
        "`[` ~~c~~",
    ],
)
def test_text_without_a_closing_bracket_renders_the_same_on_the_fast_path(text):
    from episodes.catalogue.markdown import _MARKDOWN, _MARKDOWN_NO_LINKS

    assert _MARKDOWN_NO_LINKS.render(text) == _MARKDOWN.render(text)
