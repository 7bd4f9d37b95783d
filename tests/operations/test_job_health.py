"""episodes/operations/job_health.py and its dashboard include: each job's last run, result and next run, red when late or failing."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from episodes.operations.job_health import job_statuses, stalled_jobs
from episodes.operations.tasks import JOBS
from tests.worker import run_queued

pytestmark = pytest.mark.django_db


def test_every_job_and_save_side_effect_has_a_line(django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        statuses = job_statuses()
    assert [s.name for s in statuses] == [*JOBS, "make_renditions", "ping_hub", "probe_episode_audio"]
    assert all(s.healthy and s.last_success is None for s in statuses)


def test_last_run_result_duration_and_next_run():
    async_task("episodes.operations.tasks.purge_pending_uploads")
    run_queued()
    status = {s.name: s for s in job_statuses()}["purge_pending_uploads"]
    assert status.last_success is True and status.healthy
    assert status.last_result == "24 時間より古い保存待ちのファイルを 0 件削除しました。"
    assert status.duration is not None and status.duration >= 0
    assert status.next_run == Schedule.objects.get(name="purge_pending_uploads").next_run


def test_a_failure_shows_its_message_not_its_traceback(settings):
    settings.WEBSUB_HUB_URL = "http://127.0.0.1:9/"  # nothing listens on the discard port
    async_task("episodes.operations.tasks.websub_ping")
    run_queued()
    status = {s.name: s for s in job_statuses()}["websub_ping"]
    assert status.failing and not status.healthy
    assert status.last_result.startswith("ハブへの通知に失敗しました")
    assert "Traceback" not in status.last_result


def test_late_jobs_are_the_stalled_worker(settings):
    now = timezone.now()
    Schedule.objects.filter(name="websub_ping").update(next_run=now - timedelta(minutes=30))
    assert stalled_jobs(now=now) == ["websub_ping"]
    assert {s.name: s.late for s in job_statuses(now=now)}["websub_ping"] is True


def test_the_dashboard_draws_the_table_with_a_red_line(admin_client, settings):
    settings.WEBSUB_HUB_URL = "http://127.0.0.1:9/"
    async_task("episodes.operations.tasks.websub_ping")
    run_queued()
    Schedule.objects.filter(name="aggregate_downloads").update(next_run=timezone.now() - timedelta(hours=2))
    page = admin_client.get("/admin/").text
    assert "バックグラウンドジョブ" in page
    assert "2 件のジョブが遅れているか失敗しています" in page
    assert page.count('class="job-trouble not-ready"') == 2
    assert "（遅れています）" in page
    assert "<strong>失敗</strong>: ハブへの通知に失敗しました" in page


def test_the_workers_english_tables_are_not_in_the_admin(admin_client):
    page = admin_client.get("/admin/").text
    assert "/admin/django_q/" not in page
    assert admin_client.get("/admin/django_q/schedule/").status_code == 404
