"""episodes/operations/tasks.py: the periodic jobs, their schedule table, and running each job once per period."""

import os
import subprocess
import sys
import textwrap
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone
from django_q.models import Schedule
from django_q.tasks import async_task

from episodes.operations import tasks
from episodes.publishing.models import ApiToken, IdempotencyRecord
from tests.worker import queued_funcs, run_queued

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
EVERY_JOB = {
    "websub_ping",
    "sync_media_visibility",
    "aggregate_downloads",
    "resend_letter_notifications",
    "probe_audio",
    "purge_letters",
    "purge_pending_uploads",
    "update_user_agents",
    "clearsessions",
    "purge_idempotency_records",
    "purge_login_records",
    "purge_job_results",
    "backup",
}


class TestSchedules:
    def test_every_recurring_job_is_declared_and_in_the_table_after_migrate(self):
        assert set(tasks.JOBS) == EVERY_JOB
        rows = {row.name: row for row in Schedule.objects.all()}
        assert set(rows) == EVERY_JOB
        assert rows["websub_ping"].schedule_type == Schedule.MINUTES and rows["websub_ping"].minutes == 1
        assert rows["aggregate_downloads"].minutes == 5
        assert rows["purge_letters"].schedule_type == Schedule.DAILY
        assert rows["update_user_agents"].schedule_type == Schedule.MONTHLY
        assert all(row.func == f"episodes.operations.tasks.{row.name}" and row.repeats == -1 for row in rows.values())

    def test_syncing_again_changes_nothing(self):
        before = {row.name: row.next_run for row in Schedule.objects.all()}
        assert tasks.sync_schedules() == {"created": 0, "updated": 0, "deleted": 0}
        assert {row.name: row.next_run for row in Schedule.objects.all()} == before

    def test_a_changed_schedule_is_updated_and_a_removed_job_deleted(self, monkeypatch):
        Schedule.objects.filter(name="aggregate_downloads").update(minutes=60)
        Schedule.objects.create(name="gone", func="episodes.operations.tasks.gone", schedule_type=Schedule.DAILY)
        Schedule.objects.create(name="someone_elses", func="other.app.job", schedule_type=Schedule.DAILY)
        assert tasks.sync_schedules() == {"created": 0, "updated": 1, "deleted": 1}
        assert Schedule.objects.get(name="aggregate_downloads").minutes == 5
        assert Schedule.objects.filter(name="someone_elses").exists()  # not ours: left alone

    def test_daily_and_monthly_jobs_start_at_their_local_time(self):
        now = datetime(2026, 12, 7, 22, 0, tzinfo=TOKYO)
        assert tasks.first_run(tasks.JOBS["purge_letters"], now) == datetime(2026, 12, 8, 3, 30, tzinfo=TOKYO)
        early = datetime(2026, 12, 7, 1, 0, tzinfo=TOKYO)
        assert tasks.first_run(tasks.JOBS["purge_letters"], early) == datetime(2026, 12, 7, 3, 30, tzinfo=TOKYO)
        assert tasks.first_run(tasks.JOBS["update_user_agents"], now) == datetime(2027, 1, 1, 5, 0, tzinfo=TOKYO)
        assert tasks.first_run(tasks.JOBS["websub_ping"], now) == now + timedelta(minutes=1)

    def test_labels_for_staff(self):
        assert tasks.JOBS["websub_ping"].schedule_label == "毎分"
        assert tasks.JOBS["aggregate_downloads"].schedule_label == "5 分ごと"
        assert tasks.JOBS["purge_letters"].schedule_label == "毎日 03:30"
        assert tasks.JOBS["update_user_agents"].schedule_label == "毎月 1 日 05:00"
        assert tasks.JOBS["purge_letters"].at == time(3, 30)


class TestJobs:
    """Each job runs its command's code in-process; the command's summary is the recorded result."""

    def run(self, name):
        async_task(f"episodes.operations.tasks.{name}")
        [task] = run_queued()
        return task

    def test_a_job_records_the_commands_summary(self):
        task = self.run("purge_pending_uploads")
        assert task["success"]
        assert task["result"] == "24 時間より古い保存待ちのファイルを 0 件削除しました。"

    def test_purge_pending_uploads_deletes_what_is_past_its_limit(self, settings):
        name = default_storage.save("pending/audio/old.mp3", ContentFile(b"x"))
        old = (timezone.now() - timedelta(hours=30)).timestamp()
        path = Path(settings.MEDIA_ROOT) / name
        os.utime(path, (old, old))
        assert "1 件削除" in self.run("purge_pending_uploads")["result"]
        assert not path.exists()

    def test_expired_idempotency_records_go(self):
        token, _ = ApiToken.issue(name="ci", all_shows=True)
        old = IdempotencyRecord.objects.create(token=token, key="old", fingerprint="a", status_code=201)
        IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))
        IdempotencyRecord.objects.create(token=token, key="new", fingerprint="b", status_code=201)
        assert self.run("purge_idempotency_records")["result"] == "1 件の冪等キーの記録を削除しました。"
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]

    def test_old_login_failures_go(self):
        for days in (40, 1):
            attempt = AccessAttempt.objects.create(
                username=f"u{days}", ip_address="127.0.0.1", user_agent="x", failures_since_start=1
            )
            AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=timezone.now() - timedelta(days=days))
        assert "1 件のログイン記録" in self.run("purge_login_records")["result"]
        assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["u1"]

    def test_a_failing_command_fails_the_task_with_its_message(self, settings):
        settings.WEBSUB_HUB_URL = "http://127.0.0.1:9/"  # nothing listens on the discard port
        task = self.run("websub_ping")
        assert not task["success"]
        assert "ハブへの通知に失敗しました" in task["result"]

    def test_backup_job_without_a_folder_does_nothing(self, settings):
        settings.BACKUP_DIR = ""
        assert self.run("backup")["result"] == "BACKUP_DIR が設定されていないので、バックアップしませんでした。"

    @pytest.mark.django_db(transaction=True)  # SQLite's backup waits for the test's open transaction otherwise
    def test_backup_job_keeps_the_newest_folders(self, tmp_path, settings):
        settings.BACKUP_DIR, settings.BACKUP_KEEP = str(tmp_path), 1
        (tmp_path / "zundapod-20000101-000000").mkdir()
        task = self.run("backup")
        assert task["success"], task["result"]
        [kept] = list(tmp_path.glob("zundapod-*"))
        assert kept.name != "zundapod-20000101-000000" and (kept / "manifest.json").is_file()

    def test_an_enqueued_side_effect_waits_for_the_commit(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            tasks.enqueue_on_commit(tasks.purge_job_results, group="test")
        assert queued_funcs() == []
        callbacks[0]()
        assert queued_funcs() == ["episodes.operations.tasks.purge_job_results"]


# --- Several workers, one run per period ------------------------------------------------

SCHEDULER_RACE = textwrap.dedent(
    """
    import time
    from django_q.brokers import get_broker
    from django_q.scheduler import scheduler
    start = float({start!r})
    time.sleep(max(0.0, start - time.time()))
    scheduler(broker=get_broker())
    """
)


def _separate_database(tmp_path) -> tuple[dict, callable]:
    """Environment for processes sharing a database of their own (SQLite file, or a new PostgreSQL database)."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="zundapod.settings", ZUNDAPOD_VAR_DIR=str(tmp_path), DJANGO_SECRET_KEY="x" * 50)
    if connection.vendor != "postgresql":
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'jobs.sqlite3'}"
        return env, lambda: None
    import psycopg

    params = settings.DATABASES["default"]
    name = f"zundapod_jobs_{os.environ['ZUNDAPOD_TEST_RUN']}"
    admin = {"host": params["HOST"], "port": params["PORT"] or 5432, "user": params["USER"]}
    admin["password"] = params["PASSWORD"]

    def execute(sql):
        with psycopg.connect(dbname="postgres", autocommit=True, **admin) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}"')
    execute(f'CREATE DATABASE "{name}"')
    password = f":{params['PASSWORD']}" if params["PASSWORD"] else ""
    env["DATABASE_URL"] = f"postgres://{params['USER']}{password}@{params['HOST']}:{admin['port']}/{name}"
    return env, lambda: execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(env, *args, code=None):
    command = [sys.executable, "manage.py", *args] + (["-c", code] if code else [])
    return subprocess.run(command, env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=120)


def test_three_workers_due_at_the_same_moment_queue_each_job_once(tmp_path):
    """Three processes run django-q2's scheduler at the same instant on one database (SQLite or PostgreSQL)."""
    env, drop = _separate_database(tmp_path)
    try:
        assert _manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
        reset = "from django_q.models import Schedule; from django.utils import timezone; "
        reset += "Schedule.objects.update(next_run=timezone.now() - timezone.timedelta(seconds=1))"
        assert _manage(env, "shell", code=reset).returncode == 0
        import time as clock

        start = clock.time() + 4  # after every process has started Django
        racers = [
            subprocess.Popen(
                [sys.executable, "manage.py", "shell", "-c", SCHEDULER_RACE.format(start=start)],
                env=env,
                cwd=settings.BASE_DIR,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        for racer in racers:
            _, err = racer.communicate(timeout=60)
            assert racer.returncode == 0, err
        count = "from django_q.models import OrmQ; import collections; "
        count += "print(sorted(collections.Counter(q.func() for q in OrmQ.objects.all()).items()))"
        queued = _manage(env, "shell", code=count).stdout.strip().splitlines()[-1]
    finally:
        drop()
    assert queued == str(sorted((f"episodes.operations.tasks.{name}", 1) for name in EVERY_JOB))
