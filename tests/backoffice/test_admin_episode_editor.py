"""The daily episode form: defaults from the schedule, the three buttons, the message, dates, the error summary."""

import json
import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from episodes.catalogue.models import AiringSlot, Episode
from tests.factories import episode_form, make_actor, make_episode, make_show, mp3_upload

pytestmark = pytest.mark.django_db

ADD = "/admin/catalogue/episode/add/"


def _tomorrow():
    return timezone.localdate() + timedelta(days=1)


class TestNewEpisodeFromTheSchedule:
    def test_takes_the_next_open_slot(self, admin_client):
        show, other = make_show(name="月曜の番組"), make_show(name="いつもの番組")
        make_episode(show=other, number=41)
        host = make_actor(name="春日部つむぎ")
        AiringSlot.objects.create(weekday=_tomorrow().weekday(), show=show, host=host, airs_at=time(6))
        form = admin_client.get(ADD).context["adminform"].form
        assert form.initial["show"] == show.pk
        assert form.initial["number"] == 42
        assert timezone.localtime(form.initial["published_at"]) == timezone.make_aware(
            datetime.combine(_tomorrow(), time(6))
        )
        assert form.initial["title"] == f"月曜の番組 podcast {_tomorrow():%Y%m%d}"

    def test_schedule_is_printed_for_the_script(self, admin_client):
        show = make_show(name="月曜の番組")
        AiringSlot.objects.create(weekday=0, show=show, host=make_actor(name="春日部つむぎ"))
        page = admin_client.get(ADD).text
        printed = re.search(r'<script id="station-schedule" type="application/json">(.*?)</script>', page).group(1)
        assert json.loads(printed)["slots"]["0"]["host"] == "春日部つむぎ"
        assert json.loads(printed)["is_new"] is True
        assert "js/episode_form.js" in page

    def test_empty_cast_takes_the_weekdays_host(self, admin_client):
        show = make_show()
        show.hosts.set([make_actor(name="いつものホスト")])
        tsumugi = make_actor(name="春日部つむぎ")
        AiringSlot.objects.create(weekday=0, show=show, host=tsumugi)
        data = episode_form(show, audio_file=mp3_upload(), published_at_0="2026/11/30", published_at_1="06:00")
        assert admin_client.post(ADD, data).status_code == 302
        episode = Episode.objects.get(number=100)
        assert episode.actors == [tsumugi]

    def test_slashed_and_dashed_dates(self, admin_client):
        show = make_show()
        for number, typed in ((100, "2026/11/30"), (101, "2026-12-01")):
            data = episode_form(show, number=number, audio_file=mp3_upload(), published_at_0=typed)
            assert admin_client.post(ADD, data).status_code == 302
        assert [timezone.localtime(e.published_at).date().isoformat() for e in Episode.objects.order_by("number")] == [
            "2026-11-30",
            "2026-12-01",
        ]

    def test_unreadable_date_says_the_format(self, admin_client):
        response = admin_client.post(ADD, episode_form(make_show(), published_at_0="30.11.2026"))
        assert "2026/11/30" in str(response.context["adminform"].form.errors["published_at"])


class TestButtons:
    def test_publish_now(self, admin_client):
        tomorrow = timezone.localtime() + timedelta(days=1)
        data = episode_form(
            make_show(),
            status="draft",
            audio_file=mp3_upload(),
            published_at_0=f"{tomorrow:%Y/%m/%d}",
            _publish_now="今すぐ公開",
        )
        del data["_save"]
        response = admin_client.post(ADD, data, follow=True)
        episode = Episode.objects.get(number=100)
        assert episode.is_public
        assert response.redirect_chain[-1][0] == f"/admin/catalogue/episode/{episode.pk}/change/"
        message = response.text
        assert "公開中" in message
        assert 'href="/episode/100"' in message

    def test_schedule(self, admin_client):
        tomorrow = timezone.localtime() + timedelta(days=1)
        data = episode_form(
            make_show(),
            status="draft",
            audio_file=mp3_upload(),
            published_at_0=f"{tomorrow:%Y/%m/%d}",
            published_at_1="06:00",
            _schedule="予約して保存",
        )
        del data["_save"]
        response = admin_client.post(ADD, data, follow=True)
        episode = Episode.objects.get(number=100)
        assert episode.is_scheduled
        assert f"予約しました（{tomorrow:%Y/%m/%d} 06:00 に公開）" in response.text

    def test_schedule_needs_a_future_date(self, admin_client):
        data = episode_form(make_show(), audio_file=mp3_upload(), _schedule="予約して保存")
        del data["_save"]
        response = admin_client.post(ADD, data)
        assert response.status_code == 200
        assert "未来の日時" in str(response.context["adminform"].form.errors["published_at"])

    def test_draft_needs_no_audio(self, admin_client):
        data = episode_form(make_show(), status="published", _draft="下書き保存")
        del data["_save"]
        response = admin_client.post(ADD, data, follow=True)
        episode = Episode.objects.get(number=100)
        assert episode.status == Episode.Status.DRAFT
        assert "下書きとして保存しました" in response.text

    def test_buttons_are_on_the_form(self, admin_client):
        page = admin_client.get(ADD).text
        for label in ("今すぐ公開", "予約して保存", "下書き保存"):
            assert f'value="{label}"' in page
        # Enter in a text field saves a draft, never publishes.
        assert page.index('class="implicit-submit"') < page.index('value="今すぐ公開"')


class TestErrorSummary:
    def test_each_error_links_to_its_field_rows_included(self, admin_client):
        data = episode_form(make_show(), title="", audio_file=mp3_upload(), **{"articles-1-url": ""})
        response = admin_client.post(ADD, data)
        assert response.status_code == 200
        links = response.context["error_links"]
        anchors = {link.anchor for link in links}
        assert {"id_title", "id_articles-1-url"} <= anchors
        article = next(link for link in links if link.anchor == "id_articles-1-url")
        assert article.where == "関連リンク 2件目 URL"
        page = response.text
        assert 'href="#id_articles-1-url"' in page
        assert "次の 2 か所を直してください" in page

    def test_no_summary_without_errors(self, admin_client):
        assert "error-summary" not in admin_client.get(ADD).text
