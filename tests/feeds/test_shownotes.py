"""Show notes for feeds: whole for content:encoded, within Apple's 4,000 bytes for the description."""

import pytest

from episodes.catalogue.models import Episode, LinkedArticle
from episodes.feeds.shownotes import item_description, show_notes_html
from tests.factories import make_actor, make_episode

pytestmark = pytest.mark.django_db


def test_short_notes_list_every_article_with_only_tags_apple_renders():
    episode = make_episode(articles=3, notice="休みのお知らせ", description="今日の内容 & <b>タグ</b>")
    html = item_description(episode)
    assert html.startswith("<p>休みのお知らせ</p><p>今日の内容 &amp; &lt;b&gt;タグ&lt;/b&gt;</p><ol>")
    assert html.count("<li>") == 3
    assert {tag for tag in ("<p>", "<ol>", "<li>", "<a ") if tag in html} == {"<p>", "<ol>", "<li>", "<a "}
    assert "<h3>" not in html and "<strong>" not in html


def test_articles_that_do_not_fit_are_counted():
    episode = make_episode()
    for position in range(100):
        LinkedArticle.objects.create(
            episode=episode, position=position, title="長い題名" * 10, url=f"https://example.com/{position}"
        )
    html = item_description(Episode.objects.get(pk=episode.pk))
    assert len(html.encode()) <= 4000
    shown = html.count('<a href="')
    assert 0 < shown < 100
    assert f"ほか {100 - shown} 件" in html


def test_text_too_long_on_its_own_is_cut_at_a_character():
    episode = make_episode(description="量子コンピューター" * 1000, articles=2)
    html = item_description(episode)
    assert 3900 < len(html.encode()) <= 4000
    assert html.startswith("<p>量子") and html.endswith("…</p>")


def test_full_notes_keep_summaries_citations_and_credits():
    episode = make_episode(articles=1, cast=[make_actor(name="ずんだもん", credit="VOICEVOX:ずんだもん")])
    html = show_notes_html(episode)
    assert "<strong>要約</strong>" in html and "引用元: " in html and "VOICEVOX:ずんだもん" in html
