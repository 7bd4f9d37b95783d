"""The station's week inferred from the archive after an import (importers/week.py)."""

import io
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from episodes.catalogue.models import AiringSlot
from episodes.publishing.importers.week import infer_airing_slots
from tests.factories import add_post, jekyll_config, jekyll_post, jekyll_site, make_actor, make_episode, make_show

pytestmark = pytest.mark.django_db
JST = ZoneInfo("Asia/Tokyo")
AUDIO_URL = "https://cdn.example.com/episode.mp3"
FIRST_MONDAY = datetime(2026, 3, 2, tzinfo=JST)  # a Monday; no wall clock involved


@pytest.fixture
def week():
    """Six weeks of an archive: Mon つむぎ's show, Tue–Thu the main show, Fri the sister show; one Saturday special."""
    tsumugi, zundamon, ojousama = (make_actor(name=n) for n in ("春日部つむぎ", "ずんだもん", "お嬢様ずんだもん"))
    monday, main, friday = (make_show(name=n) for n in ("月曜の番組", "本番組", "金曜の番組"))
    plan = {0: (monday, tsumugi), 1: (main, zundamon), 2: (main, zundamon), 3: (main, zundamon), 4: (friday, ojousama)}
    for week_no in range(6):
        for weekday, (show, host) in plan.items():
            day = FIRST_MONDAY + timedelta(weeks=week_no, days=weekday)
            make_episode(show=show, cast=[host], published_at=day, audio=AUDIO_URL)
    make_episode(show=main, cast=[zundamon], published_at=FIRST_MONDAY + timedelta(days=5), audio=AUDIO_URL)
    return {"monday": monday, "main": main, "friday": friday, "tsumugi": tsumugi, "ojousama": ojousama}


def test_a_show_and_host_per_weekday_at_the_usual_morning_time(week):
    slots = infer_airing_slots()
    assert [(s.weekday, s.show, s.host, s.airs_at, s.created) for s in slots] == [
        (0, "月曜の番組", "春日部つむぎ", "06:00", True),
        (1, "本番組", "ずんだもん", "06:00", True),
        (2, "本番組", "ずんだもん", "06:00", True),
        (3, "本番組", "ずんだもん", "06:00", True),
        (4, "金曜の番組", "お嬢様ずんだもん", "06:00", True),
    ]  # the one Saturday special is no slot
    monday = AiringSlot.objects.get(weekday=0)
    assert (monday.show, monday.host, monday.airs_at) == (week["monday"], week["tsumugi"], time(6, 0))
    assert AiringSlot.objects.count() == 5


def test_the_editors_slots_are_kept(week):
    AiringSlot.objects.create(weekday=4, show=week["main"], airs_at=time(7, 30))
    slots = {s.weekday: s for s in infer_airing_slots()}
    assert slots[4].created is False
    kept = AiringSlot.objects.get(weekday=4)
    assert (kept.show, kept.airs_at) == (week["main"], time(7, 30))


def test_only_the_recent_weeks_count(week):
    # Long ago, Mondays belonged to the Friday show: the newer pattern wins.
    for week_no in range(1, 20):
        day = FIRST_MONDAY - timedelta(weeks=week_no)
        make_episode(show=week["friday"], cast=[week["ojousama"]], published_at=day, audio=AUDIO_URL)
    assert infer_airing_slots(dry_run=True)[0].show == "月曜の番組"
    assert not AiringSlot.objects.exists()  # dry run


def test_an_empty_archive_makes_none():
    assert infer_airing_slots() == []


def test_the_import_prints_the_week(tmp_path):
    site = jekyll_site(tmp_path / "old", jekyll_config())
    for serial, day in enumerate(("05", "12", "19"), start=1):  # three Mondays of January 2026
        add_post(site, jekyll_post(serial, day=day), serial=serial, day=day, mp3=f"テスト番組_podcast_202601{day}.mp3")
    out = io.StringIO()
    call_command("import_jekyll", str(site), stdout=out, stderr=io.StringIO())
    assert "月曜 06:00 テスト番組（ホスト ずんだもん、3 回）: 作成" in out.getvalue()
    assert AiringSlot.objects.get().weekday == 0
