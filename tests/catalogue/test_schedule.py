"""The weekly schedule: the slot of a day, the next slot without an episode, the host by weekday."""

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from episodes.catalogue.models import AiringSlot
from episodes.catalogue.schedule import airing_on, host_for, next_open_airing, schedule_for_script, upcoming_airings
from tests.factories import make_actor, make_episode, make_show

pytestmark = pytest.mark.django_db

MONDAY = date(2026, 11, 30)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of a station day (Asia/Tokyo)."""
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def station():
    """月 つむぎ, 火水木 ずんだもん on the tech show; 金 お嬢様ずんだもん on the school show."""
    tech, school = make_show(name="技術室"), make_show(name="女学園")
    tsumugi, zundamon, ojou = (make_actor(name=n) for n in ("春日部つむぎ", "ずんだもん", "お嬢様ずんだもん"))
    tech.hosts.set([zundamon])
    AiringSlot.objects.create(weekday=0, show=tech, host=tsumugi)
    for weekday in (1, 2, 3):
        AiringSlot.objects.create(weekday=weekday, show=tech, host=zundamon)
    AiringSlot.objects.create(weekday=4, show=school, host=ojou, airs_at=time(7, 30))
    return {"tech": tech, "school": school, "tsumugi": tsumugi, "zundamon": zundamon, "ojou": ojou}


class TestDays:
    def test_a_days_slot(self, station):
        monday = airing_on(MONDAY)
        assert monday.show == station["tech"]
        assert monday.slot.host == station["tsumugi"]
        assert timezone.localtime(monday.at) == timezone.make_aware(datetime(2026, 11, 30, 6, 0))
        friday = airing_on(MONDAY + timedelta(days=4))
        assert friday.show == station["school"]
        assert timezone.localtime(friday.at).time() == time(7, 30)
        assert airing_on(MONDAY - timedelta(days=1)) is None  # Sunday

    def test_upcoming_skips_the_weekend(self, station):
        days = [airing.day.weekday() for airing in upcoming_airings(today=MONDAY - timedelta(days=1), days=9)]
        assert days == [0, 1, 2, 3, 4, 0]

    def test_on_sunday_the_next_is_mondays_show(self, station):
        airing = next_open_airing(now=at(MONDAY - timedelta(days=1), 21))
        assert airing.day == MONDAY
        assert airing.slot.host == station["tsumugi"]

    def test_a_slot_with_its_episode_is_taken(self, station, django_assert_max_num_queries):
        make_episode(show=station["tech"], published_at=at(MONDAY, 6))
        with django_assert_max_num_queries(3):
            airing = next_open_airing(now=at(MONDAY, 0, 30))
        assert airing.day == MONDAY + timedelta(days=1)

    def test_a_passed_slot_is_not_proposed(self, station):
        # Monday 20:50 with Monday's 06:00 still open: the add form proposes Tuesday, a time
        # that 予約して保存 accepts; Monday's gap is the dashboard's to show.
        airing = next_open_airing(now=at(MONDAY, 20, 50))
        assert airing.day == MONDAY + timedelta(days=1)
        assert airing.at > at(MONDAY, 20, 50)

    def test_a_slot_about_to_air_is_not_proposed(self, station):
        assert next_open_airing(now=at(MONDAY, 5, 45)).day == MONDAY + timedelta(days=1)
        assert next_open_airing(now=at(MONDAY, 5, 29)).day == MONDAY

    def test_friday_evening_proposes_monday(self, station):
        assert next_open_airing(now=at(MONDAY + timedelta(days=4), 22)).day == MONDAY + timedelta(days=7)

    def test_no_schedule(self):
        assert next_open_airing(now=at(MONDAY, 0)) is None


class TestHost:
    def test_host_by_weekday(self, station):
        monday = make_episode(show=station["tech"], published_at=timezone.make_aware(datetime(2026, 11, 30, 6)))
        tuesday = make_episode(show=station["tech"], published_at=timezone.make_aware(datetime(2026, 12, 1, 6)))
        assert host_for(monday) == [station["tsumugi"]]
        assert host_for(tuesday) == [station["zundamon"]]

    def test_another_shows_day_falls_back_to_the_shows_hosts(self, station):
        friday_tech = make_episode(show=station["tech"], published_at=timezone.make_aware(datetime(2026, 12, 4, 6)))
        assert host_for(friday_tech) == [station["zundamon"]]


def test_schedule_for_the_script(station):
    data = schedule_for_script()
    assert data["slots"]["0"] == {
        "show": station["tech"].pk,
        "show_name": "技術室",
        "host": "春日部つむぎ",
        "airs_at": "06:00",
    }
    assert "5" not in data["slots"]
    assert data["shows"][str(station["school"].pk)] == "女学園"


def test_demo_station_has_its_week():
    from episodes.demo.content import load_demo_content

    load_demo_content()
    week = {
        slot.weekday: (slot.show.name, slot.host.name) for slot in AiringSlot.objects.select_related("show", "host")
    }
    assert week == {
        0: ("ずんだもん技術室デモ放送", "春日部つむぎ"),
        1: ("ずんだもん技術室デモ放送", "ずんだもん"),
        2: ("ずんだもん技術室デモ放送", "ずんだもん"),
        3: ("ずんだもん技術室デモ放送", "ずんだもん"),
        4: ("ずんだもん女学園デモ放送部", "お嬢様ずんだもん"),
    }
