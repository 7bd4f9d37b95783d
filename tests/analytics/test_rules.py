"""Each IAB counting rule, with real requests from several loopback addresses (episodes/analytics/)."""

from datetime import date, timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from episodes.analytics import aggregation, recording
from episodes.analytics.models import DailyDownloads, DailySalt, DownloadHit
from episodes.analytics.rules import aggregate_downloads
from episodes.catalogue.models import Episode, LegacyPath
from tests.factories import make_episode
from tests.live_servers import live_server

# The server thread writes hits through its own connection.
pytestmark = pytest.mark.django_db(transaction=True)

APPLE = "Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
OVERCAST = "Overcast/3.0 (+http://overcast.fm/; iOS podcast app)"
SPOTIFY = "Spotify/8.8.0 Android/33 (SM-G991B)"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
# 64 kbps: one minute is 480,000 bytes of this 2,000,000-byte file.
SIZE = 2_000_000
MINUTE = 480_000


@pytest.fixture(autouse=True)
def _fresh_salt():
    recording.forget_salts()
    recording.forget_waiting()
    yield
    recording.forget_salts()
    recording.forget_waiting()


@pytest.fixture
def server(settings):
    """uvicorn, as `make run` serves."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    with live_server("asgi") as live:
        yield live


@pytest.fixture(params=["asgi", "wsgi"])
def any_server(request, settings):
    """Both ways the project is served: every road must count under either."""
    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    with live_server(request.param) as live:
        yield live


@pytest.fixture
def episode() -> Episode:
    """A published episode whose audio is about four minutes at 64 kbps."""
    name = default_storage.save("audio/stats/long.mp3", ContentFile(bytes(i % 251 for i in range(SIZE))))
    episode = make_episode(audio=False, audio_file=name)
    Episode.objects.filter(pk=episode.pk).update(audio_size=SIZE, audio_bitrate=64_000, audio_duration=250.0)
    episode.refresh_from_db()
    return episode


def media_path(episode: Episode) -> str:
    return episode.audio_file.url


def counted(episode: Episode | None = None) -> int:
    aggregate_downloads()
    rows = DailyDownloads.objects.all()
    if episode is not None:
        rows = rows.filter(episode=episode)
    return sum(rows.values_list("downloads", flat=True))


class TestOneListenerOneDownload:
    def test_repeated_full_downloads_from_one_listener_count_once(self, server, episode):
        for _ in range(3):
            reply = server.request("GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE})
            assert reply.status == 200
            assert len(reply.body) == SIZE
        assert DownloadHit.objects.count() == 3
        assert counted(episode) == 1

    def test_each_address_is_a_listener(self, server, episode):
        for client in ("127.0.0.2", "127.0.0.3", "127.0.0.4"):
            server.request("GET", media_path(episode), client=client, headers={"User-Agent": APPLE})
        assert counted(episode) == 3

    def test_same_address_with_another_app_is_another_listener(self, server, episode):
        for agent in (APPLE, OVERCAST):
            server.request("GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": agent})
        assert counted(episode) == 2

    def test_one_listener_counts_once_per_episode(self, server, episode):
        other = make_episode()
        for target in (episode, other, episode):
            server.request("GET", media_path(target), client="127.0.0.2", headers={"User-Agent": APPLE})
        assert counted(episode) == 1
        assert counted(other) == 1

    def test_one_listener_counts_again_on_another_day(self, episode):
        today = timezone.localdate()
        for day in (today - timedelta(days=1), today):
            DownloadHit.objects.create(
                at=timezone.now(), day=day, episode=episode, listener="same", user_agent=APPLE, source="media"
            )
        assert counted(episode) == 2


class TestAbnormalActivityFromOneAddress:
    """Issue 24, finding 6: 50 user agents from one address were 50 downloads."""

    MINUTE_RANGE = {"Range": f"bytes=0-{MINUTE - 1}"}

    def rotate(self, server, episode, agents: int, *, client: str = "127.0.0.2") -> None:
        for n in range(agents):
            agent = f"Podcasts/{1650 + n}.20 CFNetwork/1408.0.4 Darwin/22.5.0"
            reply = server.request(
                "GET", media_path(episode), client=client, headers={"User-Agent": agent, **self.MINUTE_RANGE}
            )
            assert reply.status == 206

    def test_user_agent_rotation_from_one_address_is_one_listener(self, server, episode):
        self.rotate(server, episode, 50)
        assert DownloadHit.objects.count() == 50
        assert counted(episode) == 1
        assert DailyDownloads.objects.get().app == "Apple Podcasts"

    def test_a_households_few_apps_stay_separate_listeners(self, server, episode, settings):
        self.rotate(server, episode, settings.ANALYTICS_MAX_AGENTS_PER_ADDRESS)
        assert counted(episode) == settings.ANALYTICS_MAX_AGENTS_PER_ADDRESS

    def test_rotation_is_per_address(self, server, episode):
        self.rotate(server, episode, 20, client="127.0.0.2")
        self.rotate(server, episode, 2, client="127.0.0.3")
        assert counted(episode) == 1 + 2

    def test_rotating_bots_count_nothing(self, server, episode):
        for n in range(20):
            server.request("GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": f"curl/8.{n}.0"})
        assert counted(episode) == 0

    def test_one_address_counts_at_most_the_daily_cap(self, server, settings):
        settings.ANALYTICS_MAX_DOWNLOADS_PER_ADDRESS = 3
        episodes = [make_episode() for _ in range(5)]
        for target in episodes:
            server.request("GET", media_path(target), client="127.0.0.2", headers={"User-Agent": APPLE})
        server.request("GET", media_path(episodes[0]), client="127.0.0.3", headers={"User-Agent": APPLE})
        aggregate_downloads()
        per_episode = dict(DailyDownloads.objects.values_list("episode_id", "downloads"))
        assert per_episode == {episodes[0].pk: 2, episodes[1].pk: 1, episodes[2].pk: 1}  # in episode order


class TestIncremental:
    """A run reads only the addresses with new hits; the counts are those of a full recount."""

    def hit(self, episode, address: str, listener: str) -> None:
        DownloadHit.objects.create(
            at=timezone.now(), day=timezone.localdate(), episode=episode, listener=listener, address=address,
            user_agent=APPLE, source="media",
        )  # fmt: skip

    def test_a_second_run_reads_only_what_is_new(self, episode):
        for n in range(10):
            self.hit(episode, f"a{n}", f"l{n}")
        first = aggregate_downloads()
        assert (first.hits, first.downloads) == (10, 10)
        self.hit(episode, "new", "new-listener")
        self.hit(episode, "a0", "l0")  # an address already counted: recounted, still one download
        second = aggregation.aggregate(overlap=0)  # no re-read margin: what is new, exactly
        assert second.hits == 3  # the new address's one hit and a0's two, not the other nine
        assert second.downloads == 11 and counted(episode) == 11

    def test_nothing_new_reads_nothing(self, episode):
        self.hit(episode, "a", "l")
        aggregate_downloads()
        again = aggregate_downloads()
        assert (again.hits, again.days) == (0, [])
        assert DailyDownloads.objects.get().downloads == 1


class TestRanges:
    def test_ios_probe_alone_never_counts(self, server, episode):
        reply = server.request(
            "GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE, "Range": "bytes=0-1"}
        )
        assert reply.status == 206
        assert reply.body == bytes([0, 1])
        assert counted(episode) == 0

    def test_probe_then_a_minute_of_audio_counts_once(self, server, episode):
        for header in ("bytes=0-1", f"bytes=0-{MINUTE - 1}"):
            server.request(
                "GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE, "Range": header}
            )
        assert counted(episode) == 1

    def test_ranges_just_short_of_a_minute_do_not_count(self, server, episode):
        # Two overlapping ranges cover MINUTE - 1 bytes in all: the overlap is counted once.
        for header in (f"bytes=0-{MINUTE // 2}", f"bytes={MINUTE // 4}-{MINUTE - 2}"):
            server.request(
                "GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE, "Range": header}
            )
        assert counted(episode) == 0

    def test_separate_ranges_adding_up_to_a_minute_count(self, server, episode):
        half = MINUTE // 2
        for header in (f"bytes=0-{half - 1}", f"bytes={SIZE - half}-"):
            server.request(
                "GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE, "Range": header}
            )
        assert counted(episode) == 1

    def test_an_open_range_counts(self, server, episode):
        server.request(
            "GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE, "Range": "bytes=1000-"}
        )
        assert counted(episode) == 1

    def test_a_file_shorter_than_a_minute_counts_when_whole(self, server):
        short = make_episode()  # the test tone: under a second
        server.request("GET", short.audio_file.url, client="127.0.0.2", headers={"User-Agent": APPLE})
        server.request(
            "GET", short.audio_file.url, client="127.0.0.3", headers={"User-Agent": APPLE, "Range": "bytes=0-1"}
        )
        assert counted(short) == 1


class TestHeadNeverCounts:
    def test_head_records_nothing(self, server, episode):
        reply = server.request("HEAD", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE})
        assert reply.status == 200
        assert DownloadHit.objects.count() == 0
        assert counted(episode) == 0

    def test_head_on_the_counting_url_records_nothing(self, server, episode):
        reply = server.request("HEAD", f"/listen/{episode.pk}/long.mp3", client="127.0.0.2")
        assert reply.status == 302
        assert DownloadHit.objects.count() == 0


class TestBotsAndApps:
    @pytest.mark.parametrize(
        "agent", [GOOGLEBOT, "", "curl/8.5.0", "python-requests/2.31", "Go-http-client/1.1", "MyCrawler/1.0"]
    )
    def test_bots_never_count(self, server, episode, agent):
        headers = {"User-Agent": agent} if agent else {}
        reply = server.request("GET", media_path(episode), client="127.0.0.2", headers=headers)
        assert reply.status == 200
        assert DownloadHit.objects.count() == 1
        assert counted(episode) == 0

    def test_apps_and_devices_are_recognised(self, server, episode):
        for client, agent in (("127.0.0.2", APPLE), ("127.0.0.3", SPOTIFY), ("127.0.0.4", IPHONE_SAFARI)):
            server.request("GET", media_path(episode), client=client, headers={"User-Agent": agent})
        aggregate_downloads()
        rows = set(DailyDownloads.objects.values_list("app", "device", "downloads"))
        assert rows == {
            ("Apple Podcasts", "Apple iPhone", 1),
            ("Spotify", "Android Phone", 1),
            ("Safari", "Apple iPhone", 1),
        }


class TestEveryRoadCounts:
    def test_old_audio_path_counts_and_redirects(self, any_server, episode):
        LegacyPath.objects.create(path="/audio/2023/long.mp3", episode=episode)
        reply = any_server.request("GET", "/audio/2023/long.mp3", client="127.0.0.2", headers={"User-Agent": APPLE})
        assert reply.status == 301
        assert reply.headers["Location"].endswith(media_path(episode))
        assert list(DownloadHit.objects.values_list("source", flat=True)) == ["legacy"]
        assert counted(episode) == 1

    def test_counting_url_records_and_sends_to_the_real_file(self, any_server):
        remote = make_episode(audio="https://cdn.example.com/a/long.mp3", audio_size=SIZE, audio_bitrate=64_000)
        reply = any_server.request(
            "GET", f"/listen/{remote.pk}/long.mp3", client="127.0.0.2", headers={"User-Agent": OVERCAST}
        )
        assert reply.status == 302
        assert reply.headers["Location"] == "https://cdn.example.com/a/long.mp3"
        assert counted(remote) == 1

    def test_counting_url_probe_alone_never_counts(self, any_server):
        remote = make_episode(audio="https://cdn.example.com/a/long.mp3", audio_size=SIZE, audio_bitrate=64_000)
        any_server.request(
            "GET",
            f"/listen/{remote.pk}/long.mp3",
            client="127.0.0.2",
            headers={"User-Agent": APPLE, "Range": "bytes=0-1"},
        )
        assert DownloadHit.objects.get().range_end == 1
        assert counted(remote) == 0

    def test_counting_url_range_past_the_end_is_no_download(self, any_server):
        remote = make_episode(audio="https://cdn.example.com/a/long.mp3", audio_size=SIZE, audio_bitrate=64_000)
        any_server.request(
            "GET",
            f"/listen/{remote.pk}/long.mp3",
            client="127.0.0.2",
            headers={"User-Agent": APPLE, "Range": f"bytes={SIZE}-"},
        )
        assert DownloadHit.objects.count() == 0

    def test_recording_can_be_switched_off(self, any_server, episode, settings):
        settings.ANALYTICS_RECORDING = False
        reply = any_server.request("GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE})
        assert reply.status == 200
        assert DownloadHit.objects.count() == 0

    def test_counting_url_of_a_draft_is_not_found(self, any_server):
        draft = make_episode(status=Episode.Status.DRAFT)
        assert any_server.request("GET", f"/listen/{draft.pk}/x.mp3", client="127.0.0.2").status == 404
        assert DownloadHit.objects.count() == 0

    def test_audio_handed_to_nginx_counts(self, any_server, episode, settings):
        settings.MEDIA_ACCEL_REDIRECT = "/_media/"
        for client, header in (("127.0.0.2", "bytes=0-1"), ("127.0.0.3", f"bytes=0-{MINUTE - 1}")):
            reply = any_server.request(
                "GET", media_path(episode), client=client, headers={"User-Agent": APPLE, "Range": header}
            )
            assert reply.headers["X-Accel-Redirect"]
        reply = any_server.request(
            "GET", media_path(episode), client="127.0.0.4", headers={"User-Agent": APPLE, "If-None-Match": '"x"'}
        )
        assert list(DownloadHit.objects.order_by("pk").values_list("range_start", "range_end")) == [
            (0, 1),
            (0, MINUTE - 1),
        ]
        assert counted(episode) == 1

    def test_images_record_nothing(self, any_server):
        name = default_storage.save("images/a.png", ContentFile(b"\x89PNG\r\n\x1a\n"))
        any_server.request("GET", default_storage.url(name), client="127.0.0.2")
        assert DownloadHit.objects.count() == 0


class TestPrivacy:
    def test_the_address_is_never_stored(self, server, episode):
        server.request("GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE})
        hit = DownloadHit.objects.get()
        stored = " ".join(str(value) for value in DownloadHit.objects.values().get().values())
        assert "127.0.0.2" not in stored
        assert len(hit.listener) == 32

    def test_the_same_listener_is_unlinkable_across_days(self):
        today = timezone.localdate()
        first = recording.listener_hash(address="127.0.0.2", user_agent=APPLE, day=today)
        again = recording.listener_hash(address="127.0.0.2", user_agent=APPLE, day=today)
        tomorrow = recording.listener_hash(address="127.0.0.2", user_agent=APPLE, day=today + timedelta(days=1))
        assert first == again != tomorrow
        assert DailySalt.objects.count() == 2

    def test_an_ipv6_listener_is_its_64(self):
        day = date(2026, 11, 29)
        one = recording.listener_hash(address="2001:db8::1", user_agent=APPLE, day=day)
        assert one == recording.listener_hash(address="2001:db8::abcd:1", user_agent=APPLE, day=day)
        assert one != recording.listener_hash(address="2001:db8:0:1::1", user_agent=APPLE, day=day)

    def test_raw_hits_and_salts_go_after_two_days_and_counts_stay(self, episode):
        today = timezone.localdate()
        for age in (0, 1, 2, 3):
            day = today - timedelta(days=age)
            recording.listener_hash(address="127.0.0.2", user_agent=APPLE, day=day)
            DownloadHit.objects.create(
                at=timezone.now(), day=day, episode=episode, listener=f"l{age}", user_agent=APPLE, source="media"
            )
        result = aggregate_downloads()
        assert result.pruned == 2
        assert sorted(DownloadHit.objects.values_list("day", flat=True)) == [today - timedelta(days=1), today]
        assert sorted(DailySalt.objects.values_list("day", flat=True)) == [today - timedelta(days=1), today]
        # Later runs recount only the days still held raw; earlier counts stay as they were.
        aggregate_downloads()
        assert DailyDownloads.objects.filter(episode=episode).count() == 4


class TestRecordingNeverBreaksTheAudio:
    def test_audio_is_served_when_the_hit_table_is_gone(self, any_server, episode):
        with connection.schema_editor() as editor:
            editor.delete_model(DownloadHit)
        try:
            reply = any_server.request("GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE})
        finally:
            with connection.schema_editor() as editor:
                editor.create_model(DownloadHit)
        assert reply.status == 200
        assert len(reply.body) == SIZE
        assert recording.waiting_hits() == 1  # kept for the next write that goes through

    def test_waiting_hits_go_with_the_next_write(self, any_server, episode, settings):
        settings.ANALYTICS_RECORD_BACKOFF_SECONDS = 0  # try again at once
        with connection.schema_editor() as editor:
            editor.delete_model(DownloadHit)
        try:
            any_server.request("GET", media_path(episode), client="127.0.0.2", headers={"User-Agent": APPLE})
        finally:
            with connection.schema_editor() as editor:
                editor.create_model(DownloadHit)
        reply = any_server.request("GET", media_path(episode), client="127.0.0.3", headers={"User-Agent": APPLE})
        assert reply.status == 200 and recording.waiting_hits() == 0
        assert DownloadHit.objects.count() == 2 and counted(episode) == 2


class TestListenUrls:
    def test_feeds_and_pages_send_external_audio_through_the_counting_url(self, client, settings):
        settings.ANALYTICS_LISTEN_URLS = True
        remote = make_episode(audio="https://cdn.example.com/a/%E5%9B%9E.mp3", audio_size=SIZE, audio_duration=250.0)
        assert remote.listen_src == f"/listen/{remote.pk}/%E5%9B%9E.mp3"
        feed = client.get("/feed.xml").text
        assert f"/listen/{remote.pk}/" in feed
        page = client.get(remote.get_absolute_url()).text
        assert f'src="/listen/{remote.pk}/' in page

    def test_audio_served_here_keeps_its_own_url(self, settings, episode):
        settings.ANALYTICS_LISTEN_URLS = True
        assert episode.listen_src == episode.audio_file.url

    def test_off_by_default(self, settings):
        remote = make_episode(audio="https://cdn.example.com/a/long.mp3")
        assert not settings.ANALYTICS_LISTEN_URLS
        assert remote.listen_src == "https://cdn.example.com/a/long.mp3"
