"""The admin's first page: next slots and readiness, today and tomorrow, letters, episodes out of the feeds."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from episodes.backoffice.dashboard import feed_summaries, left_out_of_feeds, missing_for, next_slots, station_dashboard
from episodes.catalogue.models import AiringSlot, Episode
from episodes.letters.models import Letter
from tests.factories import make_actor, make_episode, make_show
from tests.letter_factories import make_letter

pytestmark = pytest.mark.django_db


def _at(day, hour=6):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def tomorrow():
    return timezone.localdate() + timedelta(days=1)


class TestNextSlots:
    def test_an_episode_without_audio_is_not_ready(self, tomorrow):
        show = make_show(name="明日の番組")
        AiringSlot.objects.create(weekday=tomorrow.weekday(), show=show, host=make_actor(name="春日部つむぎ"))
        make_episode(show=show, audio=False, status=Episode.Status.DRAFT, published_at=_at(tomorrow), number=70)
        (slot,) = next_slots()
        assert slot.airing.day == tomorrow
        assert slot.episode.number == 70
        assert not slot.ready
        assert slot.missing == ["音声がありません", "関連リンクがありません", "下書きのまま（予約されていません）"]

    def test_a_complete_scheduled_episode_is_ready(self, tomorrow):
        show = make_show()
        AiringSlot.objects.create(weekday=tomorrow.weekday(), show=show)
        make_episode(show=show, articles=2, published_at=_at(tomorrow))
        (slot,) = next_slots()
        assert slot.ready

    def test_a_slot_without_an_episode_offers_to_make_it(self, tomorrow):
        show = make_show()
        AiringSlot.objects.create(weekday=tomorrow.weekday(), show=show)
        (slot,) = next_slots()
        assert slot.episode is None
        assert slot.missing == ["エピソードがまだありません"]
        assert slot.add_url.startswith(f"/admin/catalogue/episode/add/?show={show.pk}&published_at=")

    def test_aired_slot_gives_way_to_the_next(self):
        today = timezone.localdate()
        show = make_show()
        AiringSlot.objects.create(weekday=today.weekday(), show=show, airs_at=time(0, 0))
        make_episode(show=show, articles=1, published_at=_at(today, 0))
        (slot,) = next_slots()
        assert slot.airing.day == today + timedelta(days=7)

    def test_a_passed_slot_without_its_episode_says_it_is_late(self):
        monday = date(2026, 11, 30)
        show = make_show()
        AiringSlot.objects.create(weekday=monday.weekday(), show=show, airs_at=time(6, 0))
        (slot,) = next_slots(now=_at(monday, 20))
        assert slot.airing.day == monday
        assert slot.missing == ["放送時刻（06:00）を過ぎています", "エピソードがまだありません"]
        (slot,) = next_slots(now=_at(monday, 5))
        assert slot.missing == ["エピソードがまだありません"]

    def test_missing_for_no_episode(self):
        assert missing_for(None) == ["エピソードがまだありません"]


class TestLeftOut:
    def test_unprobed_external_audio_is_named_with_its_fix(self):
        make_episode()  # in the feed
        remote = make_episode(audio="https://cdn.example.com/a.mp3")
        make_episode(audio="https://cdn.example.com/d.mp3", status=Episode.Status.DRAFT)  # drafts are no news
        rows, total = left_out_of_feeds()
        assert total == 1
        assert rows[0].episode == remote
        assert "サイズと長さ" in rows[0].reason
        assert "probe_audio" in rows[0].fix


class TestFeeds:
    def test_counts_per_feed(self):
        one, two = make_show(name="一"), make_show(name="二")
        make_episode(show=one)
        make_episode(show=one)
        make_episode(show=two)
        make_episode(show=two, audio="https://cdn.example.com/x.mp3")  # out of the feed
        make_episode(show=two, published_at=timezone.now() + timedelta(days=1))  # scheduled
        feeds = {feed.name: feed.items for feed in feed_summaries()}
        assert feeds == {"全番組（/feed.xml）": 3, "一": 2, "二": 1}


class TestPage:
    def test_first_page_is_the_dashboard(self, admin_client, tomorrow, django_assert_max_num_queries):
        show = make_show(name="明日の番組")
        AiringSlot.objects.create(weekday=tomorrow.weekday(), show=show)
        make_episode(show=show, audio=False, status=Episode.Status.DRAFT, published_at=_at(tomorrow), number=70)
        make_episode(audio="https://cdn.example.com/a.mp3", number=80, title="外部の音声の回")
        make_letter(radio_name="ずんだ餅")
        make_letter(status=Letter.Status.READ)
        with django_assert_max_num_queries(20):
            response = admin_client.get("/admin/")
        page = response.text
        assert "放送局の状況" in page
        assert "未完了" in page
        assert "音声がありません" in page
        assert "未読 1 通" in page
        assert "ずんだ餅" in page
        assert "#80 外部の音声の回" in page
        assert "manage.py probe_audio" in page
        assert "フィードに載っていないエピソード（1 件）" in page
        assert "全番組（/feed.xml）" in page
        assert "番組とエピソード" in page or "エピソード" in page  # the usual list stays below

    def test_queries_do_not_grow_with_the_archive(self, admin_client, django_assert_max_num_queries):
        show = make_show()
        for weekday in range(5):
            AiringSlot.objects.create(weekday=weekday, show=show)
        for n in range(15):
            make_episode(show=show, audio="https://cdn.example.com/x.mp3", articles=1, number=500 + n)
            make_letter()
        with django_assert_max_num_queries(20):
            assert admin_client.get("/admin/").status_code == 200

    def test_letters_only_for_staff_who_may_read_them(self, client, django_user_model):
        """A user with only view_episode saw radio names and first lines; the inbox was 403 (issue 24, finding 10)."""
        from django.contrib.auth.models import Permission

        make_letter(radio_name="ずんだ餅", message="ひみつのお便りです")
        user = django_user_model.objects.create_user("staff", password="pw-12345-xyz", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename="view_episode"))
        client.force_login(user)
        page = client.get("/admin/").text
        assert "放送局の状況" in page
        assert "ずんだ餅" not in page and "ひみつ" not in page and "未読" not in page
        user.user_permissions.add(Permission.objects.get(codename="view_letter"))
        user = django_user_model.objects.get(pk=user.pk)  # permissions are cached on the instance
        client.force_login(user)
        page = client.get("/admin/").text
        assert "未読 1 通" in page and "ずんだ餅" in page

    def test_staff_without_episode_permission_sees_no_dashboard(self, client, django_user_model):
        user = django_user_model.objects.create_user("staff", password="pw-12345-xyz", is_staff=True)
        client.force_login(user)
        assert "放送局の状況" not in client.get("/admin/").text


def test_dashboard_dict_has_everything():
    assert set(station_dashboard(letters=True)) >= {
        "slots",
        "today_episodes",
        "tomorrow_episodes",
        "unread_count",
        "left_out",
        "feeds",
    }
