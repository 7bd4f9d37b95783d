"""aggregate_downloads and update_user_agents, run as an operator would (call_command)."""

import functools
import json
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from episodes.analytics import agents
from episodes.analytics.models import DailyDownloads, DownloadHit
from tests.factories import make_episode

NEW_APP = "Zundacast/1.0 (iPhone; iOS 17)"


@pytest.fixture
def user_agents_dir(settings, tmp_path):
    """An update target of this test's own; the shipped list is never written."""
    settings.ANALYTICS_USER_AGENTS_DIR = str(tmp_path / "agents")
    agents.reload()
    yield tmp_path / "agents"
    agents.reload()


@pytest.fixture
def newer_list(tmp_path):
    """A newer list in the source format (`src/*.json`, with examples), knowing one more app."""
    folder = tmp_path / "src"
    folder.mkdir()
    for kind in agents.FILES:
        shutil.copy(agents.DATA_DIR / f"{kind}.json", folder / f"{kind}.json")
    apps = json.loads((folder / "apps.json").read_text())
    apps["entries"].insert(0, {"name": "Zundacast", "pattern": "^Zundacast/", "examples": [NEW_APP]})
    (folder / "apps.json").write_text(json.dumps(apps))
    return folder


@pytest.mark.django_db
class TestAggregateDownloads:
    def test_counts_and_says_so(self):
        episode = make_episode()
        for listener in ("a", "a", "b"):
            DownloadHit.objects.create(
                at=timezone.now(),
                day=timezone.localdate(),
                episode=episode,
                listener=listener,
                user_agent="Overcast/3.0 (+http://overcast.fm/; iOS podcast app)",
                source="media",
            )
        out = StringIO()
        call_command("aggregate_downloads", stdout=out)
        assert "3 件のリクエストから 2 ダウンロード" in out.getvalue()
        assert DailyDownloads.objects.get().downloads == 2

    def test_keep_raw_prunes_nothing(self):
        episode = make_episode()
        DownloadHit.objects.create(
            at=timezone.now(),
            day=timezone.localdate() - timezone.timedelta(days=5),
            episode=episode,
            listener="a",
            user_agent="Overcast/3.0",
            source="media",
        )
        call_command("aggregate_downloads", "--keep-raw", stdout=StringIO())
        assert DownloadHit.objects.count() == 1
        call_command("aggregate_downloads", stdout=StringIO())
        assert DownloadHit.objects.count() == 0
        assert DailyDownloads.objects.get().downloads == 1


class TestUpdateUserAgents:
    def test_from_a_folder(self, user_agents_dir, newer_list):
        assert agents.classify(NEW_APP).app == agents.UNKNOWN
        out = StringIO()
        call_command("update_user_agents", "--from", str(newer_list), stdout=out)
        assert "User-Agent 一覧を更新しました" in out.getvalue()
        written = json.loads((user_agents_dir / "apps.json").read_text())
        assert written["entries"][0] == {"name": "Zundacast", "pattern": "^Zundacast/"}
        assert agents.classify(NEW_APP).app == "Zundacast"

    def test_from_a_url(self, user_agents_dir, newer_list):
        handler = functools.partial(SimpleHTTPRequestHandler, directory=str(newer_list))
        handler.log_message = lambda *args: None
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            call_command("update_user_agents", "--from", f"http://127.0.0.1:{httpd.server_port}/", stdout=StringIO())
        finally:
            httpd.shutdown()
            httpd.server_close()
            thread.join(timeout=10)
        assert agents.classify(NEW_APP).app == "Zundacast"

    def test_dry_run_replaces_nothing(self, user_agents_dir, newer_list):
        out = StringIO()
        call_command("update_user_agents", "--from", str(newer_list), "--dry-run", stdout=out)
        assert "--dry-run" in out.getvalue()
        assert not user_agents_dir.exists()

    def test_a_broken_pattern_replaces_nothing(self, user_agents_dir, newer_list):
        bots = json.loads((newer_list / "bots.json").read_text())
        bots["entries"].append({"name": "broken", "pattern": "([unclosed"})
        (newer_list / "bots.json").write_text(json.dumps(bots))
        with pytest.raises(CommandError, match="bots"):
            call_command("update_user_agents", "--from", str(newer_list), stdout=StringIO())
        assert not user_agents_dir.exists()

    def test_a_missing_file_replaces_nothing(self, user_agents_dir, newer_list):
        (newer_list / "devices.json").unlink()
        with pytest.raises(CommandError, match="devices"):
            call_command("update_user_agents", "--from", str(newer_list), stdout=StringIO())
        assert not user_agents_dir.exists()
