"""Numbers are checked where they enter (issue 12, findings 1, 3 and 4): a message, never a 500."""

import json
import math

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from episodes.catalogue.bounds import MAX_SECONDS, is_seconds, parse_year, validate_moment
from episodes.catalogue.models import Episode, LinkedArticle
from episodes.catalogue.timecode import format_timecode, parse_timecode
from episodes.publishing.importers.jekyll import PostError, parse_post
from episodes.publishing.importers.timeline import TimelineError, read_timeline
from episodes.publishing.models import ApiToken
from episodes.site.media import parse_range
from tests.factories import POST, POST_NAME, episode_form, make_actor, make_episode, make_show, pipeline_upload

pytestmark = pytest.mark.django_db

TIMELINE = [
    {"type": "agenda", "notes": "おはようなのだ。", "start_ms": 0, "end_ms": 500},
    {"type": "section", "url": "https://example.com/one", "notes": "一本目なのだ。", "start_ms": 500, "end_ms": 2000},
]


def send(client, secret, data):
    return client.post("/api/v1/episodes", data, headers={"Authorization": f"Bearer {secret}"})


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message_ja"]
    return body


NINES = "9" * 400


class TestBounds:
    def test_seconds(self):
        assert is_seconds(0) and is_seconds(MAX_SECONDS) and is_seconds(12.5)
        for value in (-1, MAX_SECONDS + 1, math.inf, -math.inf, math.nan, "1", None):
            assert not is_seconds(value)

    @pytest.mark.parametrize("text", ["²", "①", "１９９９", "0001", "1", "9999", "20 24", "", None, "2" * 5000])
    def test_year_refuses(self, text):
        assert parse_year(text) is None

    def test_year(self):
        assert parse_year("2026") == 2026 and parse_year(" 1990 ") == 1990

    def test_moment(self):
        validate_moment(timezone.now())
        with pytest.raises(ValidationError):
            validate_moment(timezone.now().replace(year=1))


class TestFinding1NonFiniteTimeline:
    """`end_ms: 1e400` or `Infinity` through the API: 400, nothing stored, every page still 200."""

    @pytest.fixture
    def secret(self):
        _, secret = ApiToken.issue(name="パイプライン", shows=[make_show(name="毎朝の番組", slug="maiasa")])
        return secret

    @pytest.mark.parametrize("raw", ["1e400", "Infinity", "-Infinity", "NaN", str(10**30)])
    def test_api_refuses_the_timeline(self, client, secret, raw):
        timeline = json.dumps(TIMELINE).replace('"end_ms": 2000', f'"end_ms": {raw}').encode()
        body = assert_error(send(client, secret, pipeline_upload(timeline=timeline)), 400, "post_invalid")
        assert body["file"].endswith(".json")
        assert not Episode.objects.exists()
        for path in ("/", "/shows/maiasa/", "/archive/", "/feed.xml"):
            assert client.get(path).status_code in (200, 404)

    def test_reader_refuses_it(self, tmp_path):
        path = tmp_path / "t.json"
        for raw in ("1e400", "Infinity", "NaN"):
            path.write_text(f'[{{"type": "agenda", "notes": "x", "start_ms": 0, "end_ms": {raw}}}]')
            with pytest.raises(TimelineError):
                read_timeline(path)

    def test_database_refuses_infinity(self):
        episode = make_episode()
        with pytest.raises(IntegrityError), transaction.atomic():
            Episode.objects.filter(pk=episode.pk).update(audio_duration=math.inf)
        article = LinkedArticle.objects.create(episode=episode, title="t", url="https://example.com/")
        with pytest.raises(IntegrityError), transaction.atomic():
            LinkedArticle.objects.filter(pk=article.pk).update(start_seconds=math.inf)

    def test_a_stored_infinity_from_before_leaves_pages_up(self, client):
        # Rows written before the constraint: pages print nothing rather than fail.
        actor = make_actor()
        episode = make_episode(cast=[actor], articles=1)
        assert format_timecode(math.inf) == "" and format_timecode(math.nan) == ""
        assert episode.duration_display
        episode.audio_duration = math.inf
        assert episode.duration_display == ""


class TestFinding3StartTimes:
    def test_parse_refuses_400_nines(self):
        for text in (NINES, f"{NINES}:00:00", f"1:{NINES}", f"{MAX_SECONDS + 1}", "1.5e3", "inf", "nan"):
            with pytest.raises(ValueError):
                parse_timecode(text)

    @pytest.mark.parametrize("typed", [NINES, f"{NINES}:00:00", "99999999"])
    def test_admin_answers_with_a_form_error(self, admin_client, typed):
        show = make_show()
        response = admin_client.post(
            "/admin/catalogue/episode/add/", episode_form(show, status="draft", **{"articles-1-start_seconds": typed})
        )
        assert response.status_code == 200
        assert "1:02:03" in response.content.decode()  # the field's message
        assert not Episode.objects.exists()


class TestFinding4OtherNumbers:
    @pytest.mark.parametrize(
        "path",
        [
            "/search/?q=a&page=9223372036854775807",
            "/search/?q=a&page=" + "9" * 5000,
            "/search/?q=test&year=²",
            "/search/?q=test&year=①",
            "/search/?q=test&year=0001",
            "/?page=9223372036854775807",
            "/?page=" + "9" * 5000,
        ],
    )
    def test_pages_stay_up(self, client, path):
        make_episode(title="test a")
        # A listing page past the last is a 404 (one address per page, issue 24 item 5); search keeps its last page.
        assert client.get(path).status_code == (404 if path.startswith("/?page=") else 200)

    @pytest.mark.parametrize("path", ["/archive/1/1/", "/archive/9999/12/", "/archive/1989/12/", "/archive/2101/1/"])
    def test_archive_month_out_of_range_is_404(self, client, path):
        assert client.get(path).status_code == 404

    def test_range_header_of_4300_digits(self, client):
        episode = make_episode()
        url = episode.audio_file.url
        for header in ("bytes=" + "1" * 4300 + "-", "bytes=-" + "1" * 4300, "bytes=0-" + "9" * 4300):
            response = client.get(url, HTTP_RANGE=header)
            assert response.status_code == 200  # a range it cannot honour is ignored (RFC 9110)
        assert parse_range("bytes=0-" + "9" * 18, 10) == (0, 9)

    @pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "1989-12-31T00:00"])
    def test_api_publish_at_out_of_range(self, client, moment):
        _, secret = ApiToken.issue(name="p", shows=[make_show(name="毎朝の番組", slug="maiasa")])
        body = assert_error(send(client, secret, pipeline_upload(publish_at=moment)), 400, "field_invalid")
        assert body["field"] == "publish_at"

    def test_post_dated_year_1(self, tmp_path):
        path = tmp_path / POST_NAME
        path.write_text(POST.replace("date: 2026-01-05 06:00:00 +0900", "date: 0001-01-01 00:00:00 +0900"))
        with pytest.raises(PostError, match="1990"):
            parse_post(path)

    def test_post_named_with_4300_digits_is_not_a_post(self, tmp_path):
        path = tmp_path / f"2026-01-05-{'9' * 4300}.md"[:200]
        path.write_text(POST)
        with pytest.raises(PostError):
            parse_post(path)

    def test_admin_publication_date_year_1(self, admin_client):
        data = episode_form(make_show(), status="draft", published_at_0="0001-01-01", published_at_1="00:00")
        response = admin_client.post("/admin/catalogue/episode/add/", data)
        assert response.status_code == 200
        assert "1990" in response.content.decode()
        assert not Episode.objects.exists()

    @pytest.mark.parametrize(
        "query",
        [
            "published_at__year=1",
            "published_at__year=9999",
            "published_at__year=²",
            "published_at__gte=0001-01-01",
            "published_at__lt=9999-12-31+23:59:59",
        ],
    )
    def test_admin_date_filters(self, admin_client, query):
        make_episode()
        assert admin_client.get(f"/admin/catalogue/episode/?{query}").status_code == 400
        assert (
            admin_client.get(f"/admin/letters/letter/?{query.replace('published_at', 'received_at')}").status_code
            == 400
        )

    def test_admin_date_hierarchy_still_works(self, admin_client):
        make_episode()
        year = timezone.localtime().year
        assert admin_client.get(f"/admin/catalogue/episode/?published_at__year={year}").status_code == 200


HUGE = "9" * 5000  # past int()'s 4,300-digit limit


class TestEveryNumericQueryParameter:
    """Each number a view reads from the address, sent as 5,000 digits: 4xx or the default, never a 500."""

    @pytest.fixture
    def site(self, settings, admin_client):
        settings.SITE_URL = "https://podcast.example.jp"
        actor = make_actor(name="ずんだもん", slug="zundamon")
        episode = make_episode(number=7, cast=[actor])
        return episode, admin_client

    def test_public_views(self, client, site):
        episode, _ = site
        show, actor = episode.show.slug, "zundamon"
        for path in [
            f"/?page={HUGE}",
            f"/shows/{show}/?page={HUGE}",
            f"/actors/{actor}/?page={HUGE}",
            f"/search/?q=x&page={HUGE}",
            f"/search/?q=x&year={HUGE}",
            f"/letters/?episode={HUGE}",
            f"/letters/thanks/?episode={HUGE}",
            f"/sitemap.xml?p={HUGE}",
            f"/oembed?url=https://podcast.example.jp/episode/7&maxwidth={HUGE}",
            f"/oembed?url=https://podcast.example.jp/episode/7&maxheight={HUGE}",
            f"/oembed?url=https://podcast.example.jp/episode/{HUGE}",
            f"/episode/{HUGE}",
            f"/episode/{HUGE}/embed",
            f"/archive/{HUGE}/1/",
            f"/listen/{HUGE}/a.mp3",
        ]:
            assert client.get(path).status_code < 500, path[:60]

    def test_admin_views(self, site):
        _, admin_client = site
        for path in [
            f"/admin/catalogue/episode/?p={HUGE}",
            f"/admin/catalogue/episode/{HUGE}/change/",
            f"/admin/letters/letter/?p={HUGE}",
            f"/admin/analytics/dailydownloads/?p={HUGE}",
        ]:
            assert admin_client.get(path).status_code < 500, path[:60]
