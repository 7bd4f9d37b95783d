"""The downloads page in the admin and its CSV files (episodes/backoffice/admin/downloads.py, reports.py, charts.py)."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone

from episodes.analytics import agents, charts, names, reports
from episodes.analytics.models import DailyDownloads
from tests.factories import make_episode, make_show

pytestmark = pytest.mark.django_db

PAGE = "/admin/analytics/dailydownloads/"


def add(episode, day, n, app="Apple Podcasts", device="Apple iPhone"):
    DailyDownloads.objects.create(episode=episode, day=day, app=app, device=device, downloads=n)


@pytest.fixture
def station():
    """Two shows; an old episode with a month of counts and a new one with two days."""
    today = timezone.localdate()
    daily, friday = make_show(name="毎日ニュース"), make_show(name="金曜特集")
    old = make_episode(daily, published_at=timezone.now() - timedelta(days=40), title="古い回")
    new = make_episode(friday, published_at=timezone.now() - timedelta(days=1), title="新しい回<b>")
    published = timezone.localdate(old.published_at)
    for i in range(41):  # up to today
        add(old, published + timedelta(days=i), 10 - min(i, 9))
    add(old, published, 5, app="Spotify", device="Android Phone")
    add(new, today - timedelta(days=1), 30, app="Overcast")
    add(new, today, 7, app="Overcast")
    return old, new


class TestReports:
    def test_first_days_compare_episodes_from_their_publication(self, station):
        old, new = station
        rows = {row.episode: row for row in reports.first_days()}
        assert rows[old].first == {1: 15, 7: 15 + 9 + 8 + 7 + 6 + 5 + 4, 30: 15 + 9 + 8 + 7 + 6 + 5 + 4 + 3 + 2 + 21}
        # The new episode's first day is over (yesterday), its week is not.
        assert rows[new].first == {1: 30, 7: None, 30: None}
        assert rows[new].total == 37
        assert rows[old].total == 80 + 11

    def test_daily_line_has_every_day_of_the_period(self, station):
        today = timezone.localdate()
        series = reports.daily(start=today - timedelta(days=9), end=today)
        assert len(series) == 10
        assert series[-1] == (today, 7 + 1)
        only_friday = reports.daily(start=today - timedelta(days=1), end=today, show=station[1].show)
        assert only_friday == [(today - timedelta(days=1), 30), (today, 7)]

    def test_top_episodes_and_apps(self, station):
        old, new = station
        today = timezone.localdate()
        assert reports.top_episodes(start=today - timedelta(days=2), end=today) == [(new, 37), (old, 3)]
        assert reports.top_by("app", start=today - timedelta(days=2), end=today) == [
            ("Overcast", 37),
            ("Apple Podcasts", 3),
        ]

    def test_apple_core_media_is_counted_as_apple_podcasts(self, station):
        """Apple Podcasts streams through AVPlayer (AppleCoreMedia) and downloads as itself: one app."""
        old, new = station
        today = timezone.localdate()
        add(new, today, 40, app="AppleCoreMedia")
        apps = reports.top_by("app", start=today - timedelta(days=2), end=today)
        assert apps == [("Apple Podcasts", 43), ("Overcast", 37)]
        assert "AppleCoreMedia" not in dict(apps)

    def test_devices_are_named_in_japanese(self, station):
        today = timezone.localdate()
        old = station[0]
        add(old, today, 4, app="Spotify", device="Android Phone")
        add(old, today, 2, app="Spotify", device="Windows Computer")
        devices = dict(reports.top_by("device", start=today - timedelta(days=2), end=today))
        assert devices == {"iPhone": 37 + 3, "Android スマートフォン": 4, "Windows パソコン": 2}

    def test_every_device_of_the_shipped_list_has_a_japanese_name(self):
        shipped = json.loads((agents.DATA_DIR / "devices.json").read_text(encoding="utf-8"))["entries"]
        missing = {entry["name"] for entry in shipped} - set(names.DEVICE_NAMES)
        assert not missing

    def test_an_episode_label_keeps_what_follows_the_show_name(self):
        show = make_show(name="私立ずんだもん女学園放送部")
        episode = make_episode(show, number=550, title="私立ずんだもん女学園放送部 podcast 20260821")
        label = names.episode_label(episode)
        assert label == "#550 podcast 20260821｜私立ずんだもん女学園放送部"
        # Cut to fit the chart, the date is still there.
        svg = charts.bar_chart([(label, 3)], label="よく聴かれたエピソード")
        assert "#550 podcast 20260821｜私立ずんだもん女学園放送部" in svg
        narrow = charts.bar_chart([(label, 3)], label="アプリ別", width=600)
        assert ">#550 podcast 20260821｜私立ずんだ…<" in narrow
        other = make_episode(show, number=551, title="特別編")
        assert names.episode_label(other) == "#551 特別編"


class TestCharts:
    def test_line_chart_is_plain_svg_with_values(self):
        today = timezone.localdate()
        svg = charts.line_chart([(today - timedelta(days=1), 3), (today, 12)], label="テスト<")
        assert svg.startswith("<svg") and svg.endswith("</svg>")
        assert "<script" not in svg and "style=" not in svg
        assert f"<title>{today:%Y-%m-%d}: 12</title>" in svg
        assert "テスト&lt;" in svg

    def test_bar_chart_escapes_names(self):
        svg = charts.bar_chart([("<b>アプリ</b>", 4)], label="アプリ別")
        assert "&lt;b&gt;アプリ&lt;/b&gt;: 4" in svg

    def test_empty_charts_render(self):
        assert charts.line_chart([], label="空").startswith("<svg")
        assert charts.bar_chart([], label="空").startswith("<svg")


class TestPage:
    def test_charts_and_tables_in_japanese(self, admin_client, station, django_assert_max_num_queries):
        with django_assert_max_num_queries(15):
            response = admin_client.get(PAGE)
        assert response.status_code == 200
        text = response.text
        for heading in (
            "1日ごとのダウンロード数",
            "公開からのダウンロード数",
            "よく聴かれたエピソード",
            "アプリ別",
            "端末別",
        ):
            assert heading in text
        assert text.count('class="analytics-chart"') == 4
        assert "新しい回&lt;b&gt;" in text
        assert "Overcast" in text

    def test_a_show_and_period_are_chosen(self, admin_client, station):
        today = timezone.localdate()
        query = f"?show={station[1].show.pk}&start={today - timedelta(days=1):%Y-%m-%d}&end={today:%Y-%m-%d}"
        response = admin_client.get(PAGE + query)
        assert "合計 37" in response.text

    @pytest.mark.parametrize("query", ["?start=2026-12-01&end=2026-01-01", "?start=0001-01-01", "?start=2000-01-01"])
    def test_an_impossible_period_is_a_message(self, admin_client, query):
        response = admin_client.get(PAGE + query)
        assert response.status_code == 200
        assert "errorlist" in response.text

    def test_listed_in_the_admin_index(self, admin_client):
        assert PAGE in admin_client.get("/admin/").text

    def test_needs_view_permission(self, client):
        user = User.objects.create_user("editor", password="x", is_staff=True)
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.get(PAGE + "csv/daily/").status_code == 403

    def test_read_only(self, admin_client, station):
        assert admin_client.get(PAGE + "add/").status_code == 403


class TestCsv:
    @pytest.mark.parametrize("table", ["first-days", "daily", "episodes", "apps", "devices"])
    def test_every_table_exports(self, admin_client, station, table):
        response = admin_client.get(f"{PAGE}csv/{table}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"].startswith(f'attachment; filename="downloads-{table}-')
        assert response.content.startswith("\ufeff".encode())

    def test_daily_csv_numbers(self, admin_client, station):
        today = timezone.localdate()
        query = f"?show={station[1].show.pk}&start={today - timedelta(days=1):%Y-%m-%d}&end={today:%Y-%m-%d}"
        text = admin_client.get(f"{PAGE}csv/daily/{query}").content.decode("utf-8-sig")
        assert text.splitlines() == ["日付,ダウンロード数", f"{today - timedelta(days=1)},30", f"{today},7"]

    def test_unknown_table(self, admin_client):
        assert admin_client.get(f"{PAGE}csv/secrets/").status_code == 404


class TestDemoDownloads:
    def test_make_run_seeds_the_demo_once(self):
        call_command("load_demo", stdout=StringIO())
        out = StringIO()
        call_command("seed_demo_downloads", "--days", "5", stdout=out)
        assert "5 日分" in out.getvalue()
        first = sorted(DailyDownloads.objects.values_list("day", "episode_id", "app", "device", "downloads"))
        assert first
        assert "Googlebot" not in {row[2] for row in first}
        call_command("seed_demo_downloads", stdout=StringIO())
        assert sorted(DailyDownloads.objects.values_list("day", "episode_id", "app", "device", "downloads")) == first

    def test_nothing_without_the_demo(self):
        make_episode()
        call_command("seed_demo_downloads", stdout=StringIO())
        assert not DailyDownloads.objects.exists()
