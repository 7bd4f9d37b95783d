"""Japanese full-text search (episodes/site/search.py and the /search/ and /archive/ pages)."""

import io
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from episodes.catalogue.models import Episode, LinkedArticle
from episodes.site import search
from tests.factories import make_actor, make_episode, make_show
from tests.samples import needs_samples, sample_site

pytestmark = pytest.mark.django_db
JST = timezone.get_default_timezone()


def numbers(query, **filters):
    return [e.number for e in search.search(query, **filters)]


def article(episode, title, summary="", url="https://news.example.com/a"):
    return LinkedArticle.objects.create(episode=episode, title=title, summary=summary, url=url)


@pytest.fixture
def corpus():
    """A small generated Japanese archive with known answers."""
    daily, friday = make_show(slug="daily"), make_show(slug="friday")
    zundamon, tsumugi = make_actor(slug="zundamon"), make_actor(slug="tsumugi")
    old = make_episode(
        show=daily, number=1, cast=[zundamon], title="量子コンピュータ入門の回", description="基礎の話",
        published_at=datetime(2024, 5, 1, 6, tzinfo=JST),
    )  # fmt: skip
    new = make_episode(
        show=friday, number=2, cast=[tsumugi], title="金曜のニュース", description="いろいろな話題",
        published_at=datetime(2026, 8, 21, 6, tzinfo=JST),
    )  # fmt: skip
    article(
        new, "DeepSeekを量子技術で小型化", "検閲解除にも成功したという研究です。", "https://www.technologyreview.jp/s/1"
    )
    article(new, "RoPEの位置エンコーディング", "位置情報をベクトル化する**回転**の仕組み。", "https://zenn.dev/x/rope")
    middle = make_episode(
        show=daily, number=3, cast=[zundamon], title="推論の高速化", description="ＧＰＵとＬＬＭの話",
        published_at=datetime(2025, 3, 3, 6, tzinfo=JST),
    )  # fmt: skip
    article(middle, "小型モデルの蒸留", "量子化と蒸留で推論を速くする手法。")
    return {"old": old, "new": new, "middle": middle, "daily": daily, "zundamon": zundamon}


class TestQueries:
    def test_three_or_more_characters(self, corpus):
        assert numbers("量子技術") == [2]
        assert numbers("コンピュータ") == [1]

    def test_two_characters_take_the_other_route(self, corpus):
        # 量子 is in a title (1), an article title (2) and an article summary (3, as 量子化).
        assert numbers("量子") == [2, 1, 3]
        assert numbers("検閲") == [2]

    def test_one_character(self, corpus):
        assert 3 in numbers("蒸")

    def test_latin_in_another_width_or_case(self, corpus):
        assert numbers("deepseek") == [2]
        assert numbers("ＤＥＥＰＳＥＥＫ") == [2]
        assert numbers("gpu") == [3]  # stored as full-width ＧＰＵ
        assert numbers("RoPE") == numbers("rope") == [2]

    def test_a_query_spanning_an_article_title_and_summary(self, corpus):
        assert numbers("RoPE ベクトル化") == [2]
        assert numbers("DeepSeek 検閲解除") == [2]

    def test_every_term_must_match(self, corpus):
        assert numbers("量子 存在しない言葉") == []

    def test_the_links_domain_is_searchable(self, corpus):
        assert numbers("technologyreview") == [2]
        assert numbers("zenn.dev") == [2]

    def test_title_matches_rank_above_summary_matches_then_newer_first(self, corpus):
        older_title = make_episode(number=4, title="蒸留の基礎", published_at=datetime(2023, 1, 1, tzinfo=JST))
        # Both have 蒸留 in a title (3 in its article's title): the newer one first.
        assert numbers("蒸留") == [3, older_title.number]
        summary_only = make_episode(
            number=5, title="ほかの回", description="蒸留の話もした", published_at=timezone.now()
        )
        assert numbers("蒸留") == [3, 4, summary_only.number]

    def test_hidden_episodes_never_match(self, corpus):
        make_episode(number=6, title="量子の予約回", published_at=timezone.now() + timedelta(days=1))
        make_episode(number=7, title="量子の下書き", status=Episode.Status.DRAFT)
        assert 6 not in numbers("量子の") and 7 not in numbers("量子の")


class TestFilters:
    def test_show_actor_year(self, corpus):
        assert numbers("量子", show=corpus["daily"]) == [1, 3]
        assert numbers("量子", actor=corpus["zundamon"]) == [1, 3]
        assert numbers("量子", year=2026) == [2]
        assert numbers("量子", year=2024) == [1]


class TestHostileInput:
    @pytest.mark.parametrize(
        "query",
        [
            '"', '""', '"量子', "AND", "OR NOT", "NEAR(量子 技術)", "量子*", "* * *", "^量子", "title:量子",
            "{title}: x", "(((", "量子 AND OR", "\x00量子", "\ud800量子", "量子\udfff", "%", "_", "\\", "'; DROP TABLE x; --",
            "あ" * 10_000, "量子 " * 5_000,
        ],
    )  # fmt: skip
    def test_never_fails(self, client, corpus, query):
        list(search.search(query))
        # What a client sends on the wire, lone surrogates included (as invalid UTF-8).
        encoded = quote(query.encode("utf-8", "surrogatepass"))
        response = client.get(f"/search/?q={encoded}")
        assert response.status_code == 200

    def test_operators_are_plain_characters(self, corpus):
        make_episode(number=8, title="C++ と Rust AND Go")
        assert numbers("rust and go") == [8]
        assert numbers("c++") == [8]

    def test_huge_query_is_capped(self, corpus):
        assert len(search.clean_query("量" * 10_000)) == search.MAX_QUERY_CHARS

    def test_a_capped_query_says_so(self, client, corpus):
        body = client.get("/search/", {"q": "量子" + "あ" * 300}).text
        assert f"最初の {search.MAX_QUERY_CHARS} 文字だけで検索しました" in body
        # The heading names the query's start, so the notice stays on the first screen of a phone.
        assert "<h1>「量子" + "あ" * 37 + "…」の検索結果</h1>" in body
        assert 'value="量子' + "あ" * (search.MAX_QUERY_CHARS - 2) + '"' in body  # what was searched
        # Exactly the limit, or shorter once spaces are trimmed: nothing was cut, nothing is said.
        for query in ("量" * search.MAX_QUERY_CHARS, "  " + "量" * (search.MAX_QUERY_CHARS - 1) + "  "):
            assert "文字だけで検索しました" not in client.get("/search/", {"q": query}).text


class TestIndexFollowsChanges:
    def test_edits_and_deletes(self, corpus):
        episode = corpus["old"]
        episode.title = "古典コンピュータの回"
        episode.save()
        assert numbers("量子コンピュータ") == []
        assert numbers("古典コンピュータ") == [1]
        rope = LinkedArticle.objects.get(title__startswith="RoPE")
        rope.summary = "注意機構の話に書き換え"
        rope.save()
        assert numbers("ベクトル化") == []
        rope.delete()
        assert numbers("RoPE") == []
        corpus["new"].delete()
        assert numbers("DeepSeek") == []

    def test_bulk_edits_and_rebuild(self, corpus):
        LinkedArticle.objects.filter(episode=corpus["middle"]).delete()
        assert numbers("蒸留") == []
        # A raw bulk write that bypasses save(): the rebuild command catches up.
        Episode.objects.filter(pk=corpus["old"].pk).update(title="再構築テスト")
        out = io.StringIO()
        call_command("rebuild_search_index", stdout=out)
        assert "作り直しました" in out.getvalue()
        assert numbers("再構築テスト") == [1]

    @pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 index is SQLite's")
    def test_sqlite_uses_fts5_for_three_characters(self, corpus):
        assert search._uses_fts()
        sql = str(search.search("量子技術").query)
        assert search.FTS_TABLE in sql
        assert search.FTS_TABLE not in str(search.search("量子").query)


class TestHighlight:
    def test_marks_every_term_and_escapes(self):
        html = search.highlight("<b>DeepSeek</b>を量子技術で小型化、deepseekは速い", ["deepseek", "量子"])
        assert html.count("<mark>") == 3
        assert "&lt;b&gt;<mark>DeepSeek</mark>&lt;/b&gt;" in html

    def test_short_excerpt_around_the_match(self):
        html = search.highlight("あ" * 300 + "量子" + "い" * 300, ["量子"])
        assert html.startswith("…") and html.endswith("…")
        assert len(html) < 200


class TestPages:
    def test_results_page(self, client, corpus):
        body = client.get("/search/", {"q": "ベクトル化"}).text
        assert "1 件のエピソード" in body
        assert "金曜のニュース" in body
        assert "<mark>ベクトル化</mark>" in body
        assert "RoPEの位置エンコーディング" in body  # the matching article's title

    def test_pagination_keeps_query_and_filters(self, client, corpus, settings):
        settings.EPISODES_PER_PAGE = 1
        body = client.get("/search/", {"q": "量子", "show": "daily"}).text
        assert "q=%E9%87%8F%E5%AD%90&amp;show=daily&amp;page=2" in body

    def test_query_count_is_fixed(self, client, corpus, django_assert_max_num_queries):
        for n in range(30):
            episode = make_episode(title=f"量子の回{n}")
            article(episode, f"量子の記事{n}", "量子の要約")
        with django_assert_max_num_queries(10):
            client.get("/search/", {"q": "量子"})

    def test_search_box_in_every_header(self, client, corpus):
        assert 'action="/search/"' in client.get("/").text

    def test_archive_by_year_and_month(self, client, corpus):
        body = client.get("/archive/").text
        assert "2026年（1 本）" in body and "2024年（1 本）" in body
        assert 'href="/archive/2025/3/"' in body
        assert 'href="/shows/daily/"' in body and 'href="/actors/zundamon/"' in body
        month = client.get("/archive/2025/3/")
        assert [e.number for e in month.context["page"].object_list] == [3]
        assert client.get("/archive/2025/13/").status_code == 404


@needs_samples
def test_real_samples(tmp_path):
    call_command(
        "import_jekyll", str(sample_site(tmp_path, with_audio=True)), stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert numbers("量子技術でDeepSeekを小型化") == []  # not a contiguous phrase in the archive
    assert numbers("DeepSeek") == [371, 187]  # both in an article title: newer first
    assert numbers("量子") == [371, 187]  # title match first (371's article title), then 187's
    assert numbers("検閲") == [371]
    assert numbers("rope") == [371]  # "that episode about RoPE", in a summary, any case
    assert numbers("位置情報のベクトル化") == [371]
    assert numbers("gatebox3") == [550]


@pytest.mark.parametrize("path", ["/archive/0/1/", "/archive/9999/12/", "/archive/10000/1/", "/archive/2026/0/"])
def test_impossible_archive_months_are_404(client, path):
    assert client.get(path).status_code == 404


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 triggers are SQLite's")
def test_migrate_restores_triggers_a_table_rebuild_dropped(corpus):
    """SQLite rebuilds a table to add a column, and its triggers go with it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'episodes_search_%'")
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP TRIGGER {name}")
    call_command("migrate", verbosity=0)
    episode = corpus["old"]
    episode.title = "移行後にも見つかる回"
    episode.save()
    assert numbers("移行後にも") == [1]


def test_archive_pages_cost_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for n in range(40):
        make_episode(
            show=make_show(slug=f"s{n % 4}") if n < 4 else None, published_at=datetime(2025, 1 + n % 12, 1, tzinfo=JST)
        )
    # Each plus the page cache's content state: the revision, and once per revision the schedule;
    # plus the footer's station description and weekday hosts (two fixed queries).
    with django_assert_max_num_queries(4 + 2 + 2):
        assert client.get("/archive/").status_code == 200
    with django_assert_max_num_queries(6 + 1 + 2):
        assert client.get("/archive/2025/3/").status_code == 200


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS5 table is SQLite's")
def test_migrate_builds_a_missing_index_and_fills_it(corpus):
    """The index is not in a migration: every migrate creates it where it is missing."""
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {search.FTS_TABLE}")
    connection._zundapod_has_fts = None
    call_command("migrate", verbosity=0)
    assert search.FTS_TABLE in connection.introspection.table_names()
    assert numbers("コンピュータ") == [1]
