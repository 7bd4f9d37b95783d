"""rerender_markdown: stored HTML follows the current renderer (episodes/catalogue/management/commands/rerender_markdown.py)."""

import io

import pytest
from django.core.management import call_command

from episodes.catalogue.models import LinkedArticle, SiteRevision
from tests.factories import make_episode

pytestmark = pytest.mark.django_db

LIST_AFTER_A_LINE = "以下の2つです。\n1. 一つ目\n2. 二つ目"


def run(*args) -> str:
    out = io.StringIO()
    call_command("rerender_markdown", *args, stdout=out)
    return out.getvalue()


def test_html_stored_by_an_older_renderer_is_made_again_in_one_change():
    episode = make_episode(articles=1)
    article = episode.articles.get()
    article.summary = LIST_AFTER_A_LINE
    article.save()
    LinkedArticle.objects.filter(pk=article.pk).update(summary_html="<p>以下の2つです。 1. 一つ目 2. 二つ目</p>")
    before = SiteRevision.current()[0]
    out = run()
    html = LinkedArticle.objects.get(pk=article.pk).summary_html
    assert "<ol>" in html and "<li>一つ目</li>" in html
    assert "記事の要約: 1 件を作り直しました" in out
    assert SiteRevision.current()[0] == before + 1
    assert "記事の要約: 0 件" in run()


def test_dry_run_counts_and_keeps():
    episode = make_episode(articles=1)
    LinkedArticle.objects.filter(episode=episode).update(summary="**太字**", summary_html="old")
    assert "記事の要約: 1 件が変わります" in run("--dry-run")
    assert LinkedArticle.objects.get(episode=episode).summary_html == "old"
