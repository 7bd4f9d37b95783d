"""Search ranks the distinctive words: a show's name in every title is not a title match (issue 25)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from episodes.catalogue.models import LinkedArticle
from episodes.site import search
from tests.factories import make_episode, make_show

pytestmark = pytest.mark.django_db


@pytest.fixture
def archive():
    """Titles as the station writes them, `<show> podcast YYYYMMDD`, newest first; the oldest covers ずんだもん."""
    show = make_show(name="株式会社ずんだもん技術室AI放送局", slug="gijutsushitsu")
    now = timezone.now()
    episodes = [
        make_episode(
            show=show,
            title=f"{show.name} podcast 202611{day:02d}",
            published_at=now - timedelta(days=30 - day),
            description="今日のAIニュース",
        )
        for day in (10, 11, 12)
    ]
    oldest = episodes[0]
    LinkedArticle.objects.create(
        episode=oldest,
        position=0,
        title="ずんだもんの声で量子計算を解説",
        url="https://example.com/q",
        start_seconds=65,
    )
    LinkedArticle.objects.create(
        episode=episodes[1], position=0, title="検閲とAIの話", url="https://example.com/k", start_seconds=20
    )
    return show, episodes


@pytest.mark.parametrize("query", ["ずんだもん", "ずん"])  # the trigram index and the LIKE scan
def test_the_show_name_alone_does_not_rank_a_title_first(archive, query):
    show, (oldest, middle, newest) = archive
    results = list(search.search(query))
    assert results[0] == oldest  # its article says ずんだもん; the others only through the show's name
    assert set(results) == {oldest, middle, newest}  # still found: the whole title is searchable
    assert results[1:] == [newest, middle]  # then newest first


def test_the_show_name_still_finds_every_episode(archive):
    show, episodes = archive
    assert set(search.search("株式会社ずんだもん技術室")) == set(episodes)


@pytest.mark.parametrize(("query", "index"), [("量子", 0), ("検閲", 1), ("量子計算", 0)])
def test_short_and_long_words_still_work(archive, query, index):
    show, episodes = archive
    assert list(search.search(query)) == [episodes[index]]


def test_matched_articles_link_to_the_article_and_its_time(client, archive):
    show, (oldest, *_rest) = archive
    page = client.get("/search/", {"q": "量子"}).text
    assert 'href="https://example.com/q"' in page
    assert f'href="{oldest.get_absolute_url()}#t=1:05"' in page
    assert "<mark>量子</mark>" in page


def test_no_result_says_so(client, archive):
    page = client.get("/search/", {"q": "存在しない言葉"}).text
    assert "見つかりませんでした" in page
    assert "0 件" not in page
