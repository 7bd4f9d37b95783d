"""WebSub: a real HTTP hub on loopback hears of every publication and scheduled release."""

import socket
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from django_q.models import Failure
from django_q.tasks import async_task

from episodes.catalogue.models import Episode
from episodes.feeds import websub
from episodes.operations.job_health import job_statuses
from tests.factories import make_episode, make_show
from tests.worker import queued_funcs, run_queued

pytestmark = pytest.mark.django_db


class Hub:
    """A hub that records each publisher ping (its form fields) and answers `status`."""

    def __init__(self):
        self.pings: list[dict] = []
        self.status = 204
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                hub.pings.append({**parse_qs(body), "content_type": self.headers["Content-Type"]})
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def feeds(self) -> list[str]:
        return sorted(url for ping in self.pings for url in ping["hub.url"])


@pytest.fixture
def hub(settings):
    settings.SITE_URL = "https://podcast.example.jp"
    server = Hub()
    server.thread.start()
    settings.WEBSUB_HUB_URL = server.url
    yield server
    server.server.shutdown()
    server.server.server_close()


STATION = "https://podcast.example.jp/feed.xml"
DAILY = "https://podcast.example.jp/shows/daily/feed.xml"


class TestSaveWithTheNetworkBlocked:
    """Issue 21: a save with a hub configured does no network I/O; the ping happens after commit, in the worker."""

    def test_the_save_succeeds_and_only_the_worker_tries_the_hub(
        self, settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        with socket.socket() as refusing:  # bound, never listening: every connection to it is refused
            refusing.bind(("127.0.0.1", 0))
            hub_address = refusing.getsockname()
            settings.WEBSUB_HUB_URL = f"http://127.0.0.1:{hub_address[1]}/"
            attempts = []
            real_connect = socket.socket.connect

            def connect(sock, address):
                if tuple(address[:2]) == hub_address:
                    attempts.append(address)
                return real_connect(sock, address)

            monkeypatch.setattr(socket.socket, "connect", connect)
            with django_capture_on_commit_callbacks(execute=True):
                episode = make_episode(show=make_show(slug="daily"))
            assert Episode.objects.get(pk=episode.pk).is_public
            assert attempts == []  # neither the save nor its commit touched the hub
            assert queued_funcs() == ["episodes.feeds.websub.ping_hub"]
            run_queued()
            assert attempts  # the worker did, and was refused
            assert Failure.objects.filter(func="episodes.feeds.websub.ping_hub").exists()


class TestOnPublish:
    def test_off_by_default(self, settings, django_capture_on_commit_callbacks):
        assert settings.WEBSUB_HUB_URL == ""
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            make_episode()
        assert not websub.enabled()
        assert callbacks == []

    def test_publishing_pings_the_station_and_show_feeds_after_commit(self, hub, django_capture_on_commit_callbacks):
        show = make_show(slug="daily")
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            make_episode(show=show)
        assert hub.pings == []  # nothing before the commit
        for callback in callbacks:
            callback()
        assert hub.pings == []  # queued for the worker, not sent by the save
        assert queued_funcs() == ["episodes.feeds.websub.ping_hub"]
        run_queued()
        assert hub.feeds() == [STATION, DAILY]
        assert all(ping["hub.mode"] == ["publish"] for ping in hub.pings)
        assert hub.pings[0]["content_type"] == "application/x-www-form-urlencoded"

    def test_drafts_and_scheduled_episodes_are_not_announced(self, hub, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            make_episode(status=Episode.Status.DRAFT)
            make_episode(published_at=timezone.now() + timedelta(hours=1))
        assert queued_funcs() == []
        run_queued()
        assert hub.pings == []

    def test_a_burst_of_saves_pings_each_feed_once(self, hub, django_capture_on_commit_callbacks):
        # An archive import saves hundreds of episodes; websub_ping announces what the burst skipped.
        show = make_show(slug="daily")
        for _ in range(5):
            with django_capture_on_commit_callbacks(execute=True):
                make_episode(show=show)
            run_queued()
        assert hub.feeds() == [STATION, DAILY]

    def test_a_hub_that_fails_does_not_fail_the_save(self, hub, django_capture_on_commit_callbacks, settings):
        settings.WEBSUB_HUB_URL = "http://127.0.0.1:9/"  # nothing listens on the discard port
        with django_capture_on_commit_callbacks(execute=True):
            episode = make_episode()
        assert Episode.objects.filter(pk=episode.pk).exists()
        [task] = run_queued()
        assert not task["success"]


class TestDeadHub:
    """A hub that accepts the connection and never answers: the editor's save must not wait for it."""

    @pytest.fixture
    def silent_hub(self, settings):
        listener = socket.create_server(("127.0.0.1", 0))  # listens; nobody ever accepts or answers
        settings.SITE_URL = "https://podcast.example.jp"
        settings.WEBSUB_HUB_URL = f"http://127.0.0.1:{listener.getsockname()[1]}/"
        yield listener
        listener.close()

    def test_the_save_returns_at_once_and_the_worker_records_the_failure(
        self, silent_hub, django_capture_on_commit_callbacks, monkeypatch
    ):
        show = make_show(slug="daily")
        started = time.perf_counter()
        with django_capture_on_commit_callbacks(execute=True):
            make_episode(show=show)
        assert time.perf_counter() - started < 1.0
        assert queued_funcs() == ["episodes.feeds.websub.ping_hub"]

        monkeypatch.setattr(websub, "TIMEOUT_SECONDS", 0.2)
        [task] = run_queued()
        assert not task["success"]
        assert "受け付けませんでした" in task["result"]
        failed = Failure.objects.get(func="episodes.feeds.websub.ping_hub")
        assert failed.group == "websub"

    def test_a_failed_ping_shows_on_the_dashboard_and_the_minute_job_resends_it(
        self, hub, django_capture_on_commit_callbacks
    ):
        hub.status = 503
        with django_capture_on_commit_callbacks(execute=True):
            make_episode(show=make_show(slug="daily"))
        [failed] = run_queued()
        assert not failed["success"]
        assert {s.name: s.failing for s in job_statuses()}["ping_hub"] is True
        hub.status, hub.pings = 204, []
        async_task("episodes.operations.tasks.websub_ping")  # what the worker queues every minute
        [resent] = run_queued()
        assert resent["success"]
        assert hub.feeds() == [STATION, DAILY]


class TestScheduledRelease:
    def test_announced_when_due_once(self, hub):
        show = make_show(slug="daily")
        make_episode(show=show)
        soon = make_episode(show=show, published_at=timezone.now() + timedelta(hours=1))
        call_command("websub_ping", verbosity=0)  # the first run announces the current state
        hub.pings.clear()
        call_command("websub_ping", verbosity=0)
        assert hub.pings == []  # nothing changed
        # 06:00 comes: no write happens, the episode just becomes visible.
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE catalogue_episode SET published_at = %s WHERE id = %s",
                [timezone.now() - timedelta(seconds=1), soon.pk],
            )
        call_command("websub_ping", verbosity=0)
        assert hub.feeds() == [STATION, DAILY]
        hub.pings.clear()
        call_command("websub_ping", verbosity=0)
        assert hub.pings == []

    def test_a_refused_ping_is_retried_next_run(self, hub):
        make_episode(show=make_show(slug="daily"))
        hub.status = 503
        with pytest.raises(CommandError):
            call_command("websub_ping", verbosity=0)
        hub.status = 204
        hub.pings.clear()
        call_command("websub_ping", verbosity=0)
        assert hub.feeds() == [STATION, DAILY]

    def test_without_a_hub_nothing_happens(self, settings, capsys):
        make_episode()
        call_command("websub_ping")
        assert "WEBSUB_HUB_URL" in capsys.readouterr().out
