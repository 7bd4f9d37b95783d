"""Markdown is rendered once and sanitised: nothing executable reaches a page."""

import pytest

from episodes.markdown import render_markdown, sanitize_html

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
    for needle in ("<script", "onerror", "onload", "javascript:", "vbscript:", "<iframe", "<style", "style=", "data:"):
        assert needle not in html
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
