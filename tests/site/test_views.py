"""Public pages: what listeners see, what they must not, at a fixed query cost."""

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from django.views.defaults import server_error

from episodes.catalogue.models import Episode, LinkedArticle
from tests.factories import bulk_archive, make_actor, make_episode, make_show

pytestmark = pytest.mark.django_db

# Session, pagination count, the page of episodes, cast prefetch, the station row (its artwork
# stands in for missing images, and the footer prints its description; read once per request),
# the footer's weekday hosts, and a margin.
MAX_QUERIES = 10


@pytest.fixture
def archive():
    show = make_show(name="大きな番組", slug="big")
    actors = [make_actor(slug="zundamon", name="ずんだもん"), make_actor(slug="tsumugi", name="春日部つむぎ")]
    show.hosts.set(actors)
    episodes = bulk_archive(show, actors, 300, articles=5)
    return show, actors, episodes


class TestQueryCounts:
    @pytest.mark.parametrize("path", ["/", "/?page=3", "/shows/big/", "/actors/zundamon/", "/episode/1010"])
    def test_fixed_number_of_queries(self, client, archive, django_assert_max_num_queries, path):
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get(path)
        assert response.status_code == 200

    def test_list_cost_does_not_grow_with_page_size(
        self, client, archive, settings, django_assert_num_queries, django_assert_max_num_queries
    ):
        settings.EPISODES_PER_PAGE = 5
        client.get("/shows/")  # the first request after a write also reads the publishing schedule
        with django_assert_max_num_queries(MAX_QUERIES) as small:
            client.get("/")
        settings.EPISODES_PER_PAGE = 100
        with django_assert_num_queries(len(small.captured_queries)):
            response = client.get("/")
        assert len(response.context["page"].object_list) == 100


class TestHome:
    def test_lists_public_episodes_newest_first_with_pagination(self, client, archive, settings):
        settings.EPISODES_PER_PAGE = 20
        response = client.get("/")
        numbers = [e.number for e in response.context["page"].object_list]
        assert numbers == list(range(1000, 1020))
        assert response.context["page"].paginator.num_pages == 15
        assert 'rel="next"' in response.text
        assert client.get("/?page=15").context["page"].number == 15
        assert client.get("/?page=16").status_code == 404  # each page has one address (issue 24 item 5)

    def test_hides_scheduled_and_drafts(self, client):
        make_episode(title="公開中の回")
        make_episode(title="予約の回", published_at=timezone.now() + timedelta(days=1))
        make_episode(title="下書きの回", status=Episode.Status.DRAFT)
        body = client.get("/").text
        assert "公開中の回" in body
        assert "予約の回" not in body
        assert "下書きの回" not in body

    def test_text_is_escaped(self, client):
        make_episode(title="<script>alert('x')</script>", description="<b onmouseover=alert(1)>")
        body = client.get("/").text
        assert "<script>alert" not in body
        assert "&lt;script&gt;" in body
        assert "<b onmouseover" not in body


class TestShowAndActor:
    def test_show_page_lists_only_its_episodes(self, client):
        show, other = make_show(slug="a"), make_show(slug="b")
        mine = make_episode(show=show, title="こちらの回")
        make_episode(show=other, title="あちらの回")
        response = client.get("/shows/a/")
        assert list(response.context["page"].object_list) == [mine]
        assert "あちらの回" not in response.text

    def test_actor_page(self, client):
        actor = make_actor(slug="tsumugi", name="春日部つむぎ", bio="**月曜**担当")
        make_episode(cast=[actor], title="つむぎの回")
        make_episode(title="ほかの回")
        response = client.get("/actors/tsumugi/")
        assert "つむぎの回" in response.text
        assert "ほかの回" not in response.text
        assert "<strong>月曜</strong>" in response.text

    def test_unknown_slugs_are_404(self, client):
        assert client.get("/shows/nothing/").status_code == 404
        assert client.get("/actors/nothing/").status_code == 404


class TestEpisodePage:
    def test_shows_everything_the_old_page_showed(self, client):
        actor = make_actor(name="ずんだもん", credit="VOICEVOX:ずんだもん")
        episode = make_episode(
            number=550,
            cast=[actor],
            articles=2,
            notice="来週はお休みなのだ",
            description="今日のニュース",
            youtube_url="https://www.youtube.com/watch?v=0aR63e1eKtA",
        )
        body = client.get("/episode/550").text
        assert episode.title in body
        assert "来週はお休みなのだ" in body
        assert "今日のニュース" in body
        assert f'<audio controls preload="metadata" src="{episode.audio_src}"' in body
        assert "0:02" in body  # the real duration of the test MP3
        assert "KB" in body  # its size, humanised
        assert "i.ytimg.com" not in body  # our own placeholder: no request to YouTube before a click
        assert "/static/img/youtube-placeholder.svg" in body
        assert "<iframe" not in body  # the player loads only after a click
        assert 'data-embed="https://www.youtube-nocookie.com/embed/0aR63e1eKtA?autoplay=1"' in body
        assert "記事0" in body and "<strong>要約</strong> 0" in body
        assert "引用元:" in body
        assert 'href="/letters/?episode=550"' in body and "お便り" in body
        assert "VOICEVOX:ずんだもん" in body
        assert episode.published_at.astimezone(timezone.get_default_timezone()).strftime("%Y年%-m月%-d日") in body

    def test_player_comes_right_after_the_title_before_the_notice(self, client):
        make_episode(
            number=551,
            notice="来週はお休みなのだ",
            description="今日のニュース",
            articles=1,
            image_url="https://example.com/cover.png",
        )
        body = client.get("/episode/551").text
        order = [body.index(marker) for marker in ("<h1>", "<audio", 'class="notice"', "内容紹介", "関連リンク")]
        assert order == sorted(order)
        assert body.index('class="cover"') < body.index("<h1>")  # the small cover sits beside the title
        assert 'data-skip="-15"' in body and 'data-skip="15"' in body
        speeds = re.findall(r'<option value="([0-9.]+)"', body.split('class="player-speed"')[1].split("</select>")[0])
        assert speeds == ["0.75", "1", "1.25", "1.5", "1.75", "2"]
        assert '<script src="/static/js/player.js" defer>' in body

    def test_article_start_times_are_links_that_seek(self, client):
        episode = make_episode(number=552)
        LinkedArticle.objects.create(episode=episode, title="一本目", url="https://example.com/1", start_seconds=65.166)
        LinkedArticle.objects.create(episode=episode, title="二本目", url="https://example.com/2", start_seconds=3723)
        LinkedArticle.objects.create(episode=episode, title="時刻なし", url="https://example.com/3")
        body = client.get("/episode/552").text
        assert 'href="#t=1:05" data-seek="65.166" aria-label="1:05 から再生">1:05〜</a>' in body
        assert 'href="#t=1:02:03" data-seek="3723.000"' in body
        assert "1:05.166" not in body  # milliseconds are for the player, not for people
        assert body.count('class="timecode"') == 2

    def test_transcript_is_a_track_the_page_can_follow(self, client):
        make_episode(number=553, transcript="こんにちは、ずんだもんなのだ。")
        body = client.get("/episode/553").text
        assert '<track kind="metadata" src="/episode/553/transcript.vtt" srclang="ja"' in body
        assert 'data-vtt="/episode/553/transcript.vtt"' in body

    def test_date_is_shown_in_jst(self, client):
        make_episode(number=7, published_at=timezone.datetime(2026, 8, 20, 21, 30, tzinfo=UTC))
        assert "2026年8月21日" in client.get("/episode/7").text

    def test_summary_attack_never_reaches_the_page(self, client):
        episode = make_episode(number=8)
        LinkedArticle.objects.create(
            episode=episode,
            title="<script>alert(1)</script>",
            url="https://example.com/x",
            summary="<script>alert(2)</script><img src=x onerror=alert(3)>",
        )
        body = client.get("/episode/8").text
        assert "<script>alert" not in body
        assert "onerror" not in body

    def test_slash_redirects_to_old_permalink(self, client):
        make_episode(number=9)
        response = client.get("/episode/9/")
        assert response.status_code == 301
        assert response["Location"] == "/episode/9"

    def test_scheduled_and_draft_are_404_for_listeners(self, client):
        make_episode(number=10, published_at=timezone.now() + timedelta(hours=1))
        make_episode(number=11, status=Episode.Status.DRAFT)
        for number in (10, 11, 12):
            response = client.get(f"/episode/{number}")
            assert response.status_code == 404
            assert "ページが見つかりません" in response.text

    def test_staff_preview_drafts_marked(self, admin_client):
        make_episode(number=12, status=Episode.Status.DRAFT, title="下書きの回")
        response = admin_client.get("/episode/12")
        assert response.status_code == 200
        assert "スタッフにだけ見えています" in response.text

    def test_csp_header_allows_only_what_the_page_uses(self, client):
        make_episode(number=13, youtube_url="https://youtu.be/0aR63e1eKtA")
        csp = client.get("/episode/13")["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "frame-src https://www.youtube-nocookie.com" in csp
        assert "unsafe-inline" not in csp


class TestErrorPages:
    def test_404_in_japanese(self, client):
        response = client.get("/no/such/page")
        assert response.status_code == 404
        assert "ページが見つかりません" in response.text

    def test_500_in_japanese(self, rf):
        response = server_error(rf.get("/"))
        assert response.status_code == 500
        assert "エラーが発生しました" in response.content.decode()


class TestShowList:
    def test_lists_every_show_with_its_feed(self, client, django_assert_max_num_queries):
        for n in range(5):
            show = make_show(slug=f"s{n}")
            show.hosts.set([make_actor()])
            make_episode(show=show)
        with django_assert_max_num_queries(MAX_QUERIES):
            response = client.get("/shows/")
        assert response.status_code == 200
        for n in range(5):
            assert f'href="/shows/s{n}/feed.xml"' in response.text
        assert 'href="/shows/"' in response.text  # in the header


def test_favicon_ico_points_at_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.png")


def test_a_transcript_that_cannot_be_timed_is_shown_without_a_track_that_would_404(client):
    """No timeline and no known length: the text is there, the WebVTT is not, and the page says neither less nor more."""
    episode = make_episode(audio="https://cdn.example.com/unmeasured.mp3", transcript="ずんだもんなのだ。")
    assert episode.audio_duration is None and not episode.transcript_cues
    page = client.get(episode.get_absolute_url()).content.decode()
    assert "ずんだもんなのだ。" in page
    assert episode.transcript_vtt_url not in page
    assert client.get(episode.transcript_vtt_url).status_code == 404
    timed = make_episode(transcript="測れる回なのだ。")
    assert timed.transcript_vtt_url in client.get(timed.get_absolute_url()).content.decode()
    assert client.get(timed.transcript_vtt_url).status_code == 200
