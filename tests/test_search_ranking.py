"""Search ranks the distinctive words: a show's name in every title is not a title match (issue 25)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from episodes import search
from episodes.models import LinkedArticle

from .factories import make_episode, make_show

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


@pytest.mark.django_db(transaction=True)
def test_the_migration_takes_the_show_name_out_of_stored_titles():
    """0011 gives rows saved before it the new columns, so they rank as new saves do (and the index follows)."""
    from django.core.management.sql import emit_post_migrate_signal
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    executor.migrate([("episodes", "0010_image_renditions")])
    old = executor.loader.project_state([("episodes", "0010_image_renditions")]).apps
    show = old.get_model("episodes", "Show").objects.create(
        name="ずんだもん技術室", slug="gijutsu", description="d", author="a"
    )
    old.get_model("episodes", "Episode").objects.create(
        show=show,
        number=1,
        title="ずんだもん技術室 podcast 20261101",
        search_title="ずんだもん技術室 podcast 20261101",
        search_body="説明",
        description="説明",
        status="published",
        published_at=timezone.now() - timedelta(hours=1),
        audio_url="https://cdn.example.jp/1.mp3",
        audio_size=1000,
        audio_duration=60.0,
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    emit_post_migrate_signal(0, False, connection.alias)

    from episodes.models import Episode

    episode = Episode.objects.get(number=1)
    assert episode.search_title == "podcast 20261101"
    assert "ずんだもん技術室 podcast 20261101" in episode.search_body
    assert list(search.search("ずんだもん技術室")) == [episode]
    assert list(search.search("ずんだもん").annotate().values_list("title_hit", flat=True)) == [0]
