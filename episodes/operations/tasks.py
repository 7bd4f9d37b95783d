"""Every recurring job, and how a save hands its slow side effects to the background worker.

The worker is django-q2's `manage.py qcluster` (why: docs/deploy.md, "Background jobs").
Each periodic job is declared here, its schedule beside the function it runs;
`sync_schedules()` writes them into django-q2's schedule table after every
`migrate`, so adding, changing or removing a job here is all a release needs.
The side effects themselves live with the app they belong to (`feeds.websub.ping_hub`,
`catalogue.probes.probe_episode_audio`, `catalogue.pictures.make_renditions`), declared
with `side_effect`, so this module imports no other app of ours.
The periodic jobs run the management command of the same name in-process, so
`manage.py <job>` by hand and the worker run the same code, and the command's
summary line becomes the job's recorded result (its `CommandError`, the failure).
"""

import io
import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job: what it does (for the dashboard), how often, and at what local time for daily ones."""

    name: str
    func: Callable[[], str]
    every: str  # "minutes", "hourly", "daily" or "monthly" (django-q2's schedule types)
    description: str
    minutes: int | None = None
    at: time | None = None  # local time of the first run of a daily or monthly job

    @property
    def path(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"

    @property
    def schedule_label(self) -> str:
        """The schedule as staff read it."""
        if self.every == "minutes":
            return "毎分" if self.minutes == 1 else f"{self.minutes} 分ごと"
        at = f" {self.at:%H:%M}" if self.at else ""
        return {"hourly": "毎時", "daily": f"毎日{at}", "monthly": f"毎月 1 日{at}"}[self.every]


JOBS: dict[str, Job] = {}


def periodic(*, every: str, description: str, minutes: int | None = None, at: time | None = None):
    """Declare the function below as a periodic job on this schedule."""

    def register(func):
        JOBS[func.__name__] = Job(
            name=func.__name__, func=func, every=every, description=description, minutes=minutes, at=at
        )
        return func

    return register


def run_command(name: str, *args, **options) -> str:
    """Run a management command here, in the worker; its last output line is the job's result."""
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    lines = [line for line in out.getvalue().splitlines() if line.strip()]
    return lines[-1] if lines else "完了"


# --- The periodic jobs ----------------------------------------------------------


@periodic(
    every="minutes",
    minutes=1,
    description="予約公開の時刻が来たエピソードなど、フィードの変化を WebSub ハブに知らせます。",
)
def websub_ping() -> str:
    return run_command("websub_ping")


@periodic(
    every="minutes",
    minutes=1,
    description="S3 のメディアで、予約公開の時刻が来たエピソードのファイルを公開し、非公開にしたものを閉じます。",
)
def sync_media_visibility() -> str:
    return run_command("sync_media_visibility")


@periodic(
    every="minutes",
    minutes=5,
    description="音声リクエストの生データをダウンロード数に集計し、48 時間を過ぎた生データを消します。",
)
def aggregate_downloads() -> str:
    return run_command("aggregate_downloads")


@periodic(
    every="minutes",
    minutes=10,
    description="メールの失敗で届かなかったお便りの通知を送り直します。",
)
def resend_letter_notifications() -> str:
    return run_command("resend_letter_notifications")


@periodic(
    every="hourly",
    description="外部URLの音声のうち、サイズか長さが分からないものを読み取ります（分かるまでフィードに載りません）。",
)
def probe_audio() -> str:
    return run_command("probe_audio", verbosity=0)


@periodic(
    every="hourly",
    description="エピソードの保存に使われず 24 時間を過ぎたアップロード途中のファイルを消します。",
)
def purge_pending_uploads() -> str:
    return run_command("purge_pending_uploads")


@periodic(every="daily", at=time(3, 30), description="アーカイブ済みで 365 日を過ぎたお便りを消します。")
def purge_letters() -> str:
    return run_command("purge_letters", older_than=365)


@periodic(every="daily", at=time(3, 40), description="期限切れのログインセッションを消します。")
def clearsessions() -> str:
    run_command("clearsessions")
    return "期限切れのセッションを削除しました。"


# The API's Idempotency-Key answers are replayed to retries within this; a pipeline retries in minutes.
IDEMPOTENCY_KEEP = timedelta(days=7)


@periodic(every="daily", at=time(3, 50), description="7 日を過ぎた公開 API の冪等キーの記録を消します。")
def purge_idempotency_records() -> str:
    IdempotencyRecord = apps.get_model("publishing", "IdempotencyRecord")  # a higher layer's table, by name
    count, _ = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - IDEMPOTENCY_KEEP).delete()
    return f"{count} 件の冪等キーの記録を削除しました。"


# Login failures are kept for staff to read (the admin's アクセス試行) this long, far past any cool-off.
LOGIN_RECORDS_KEEP_DAYS = 30


@periodic(every="daily", at=time(4, 0), description="30 日を過ぎたログイン失敗の記録（django-axes）を消します。")
def purge_login_records() -> str:
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    cutoff = timezone.now() - timedelta(days=LOGIN_RECORDS_KEEP_DAYS)
    count = AccessAttempt.objects.filter(attempt_time__lt=cutoff).delete()[0]
    count += AccessLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    count += AccessFailureLog.objects.filter(attempt_time__lt=cutoff).delete()[0]
    return f"{count} 件のログイン記録を削除しました。"


# Each job's last 50 results are kept by django-q2 itself (save_limit_per); failures are not pruned there.
JOB_RESULTS_KEEP = timedelta(days=30)


@periodic(every="daily", at=time(4, 10), description="30 日を過ぎたジョブの実行記録を消します。")
def purge_job_results() -> str:
    from django_q.models import Task

    count, _ = Task.objects.filter(stopped__lt=timezone.now() - JOB_RESULTS_KEEP).delete()
    return f"{count} 件のジョブの実行記録を削除しました。"


@periodic(
    every="daily",
    at=time(2, 30),
    description="BACKUP_DIR があれば、データベースとメディアをバックアップし、新しいものから BACKUP_KEEP 個を残します。",
)
def backup() -> str:
    if not settings.BACKUP_DIR:
        return "BACKUP_DIR が設定されていないので、バックアップしませんでした。"
    made = run_command("backup", settings.BACKUP_DIR)
    folders = sorted(Path(settings.BACKUP_DIR).glob("zundapod-*"))  # their names sort by time
    for old in folders[: -settings.BACKUP_KEEP] if settings.BACKUP_KEEP > 0 else []:
        shutil.rmtree(old)
    return f"{made}（{min(len(folders), settings.BACKUP_KEEP)} 個を保管）"


@periodic(
    every="monthly",
    at=time(5, 0),
    description="OPAWG のポッドキャスト User-Agent 一覧を更新します（ボット・アプリの判定）。",
)
def update_user_agents() -> str:
    return run_command("update_user_agents")


# --- Side effects of a save, enqueued once it commits -----------------------------


@dataclass(frozen=True)
class SideEffect:
    """A task a save queues (a ping, a probe, renditions), listed on the dashboard beside the schedules."""

    name: str
    func: Callable
    description: str

    @property
    def path(self) -> str:
        return f"{self.func.__module__}.{self.func.__qualname__}"


SIDE_EFFECTS: dict[str, SideEffect] = {}


def side_effect(description: str):
    """Declare the function below as a task saves queue, described for the dashboard; the app owning it defines it."""

    def register(func):
        SIDE_EFFECTS[func.__name__] = SideEffect(name=func.__name__, func=func, description=description)
        return func

    return register


def enqueue_on_commit(func: Callable, *args, group: str) -> None:
    """Queue `func(*args)` for the worker once the current transaction commits (never for one rolled back).

    The save that asked returns at once; what the queue write itself cannot do is logged,
    and the periodic job behind each side effect catches up.
    """

    def send():
        from django_q.tasks import async_task

        try:
            async_task(f"{func.__module__}.{func.__qualname__}", *args, group=group)
        except Exception:  # a save must never fail for its side effect
            logger.exception("could not queue %s for the worker", group)

    transaction.on_commit(send)


def mark_started(sender, task, **kwargs):
    """django-q2 stamps a task's start when it is queued; the dashboard's duration is the run itself."""
    task["started"] = timezone.now()


# --- The schedule table -------------------------------------------------------------


def first_run(job: Job, now: datetime) -> datetime:
    """When a job runs first: within a minute for frequent ones, at its local time for daily and monthly ones."""
    local = timezone.localtime(now)
    if job.at is None:
        return now + timedelta(minutes=1)
    candidate = local.replace(hour=job.at.hour, minute=job.at.minute, second=0, microsecond=0)
    if job.every == "monthly":
        candidate = candidate.replace(day=1)
        while candidate <= local:
            candidate = (candidate + timedelta(days=32)).replace(day=1)
    elif candidate <= local:
        candidate += timedelta(days=1)
    return candidate


SCHEDULE_TYPES = {"minutes": "I", "hourly": "H", "daily": "D", "monthly": "M"}


def sync_schedules(*, using: str = "default", now: datetime | None = None) -> dict[str, int]:
    """Make django-q2's schedule table match JOBS: create, update or delete rows, touching nothing that agrees.

    A row whose schedule is unchanged keeps its next run, so running this on every
    deploy (it runs after `migrate`) never delays or repeats a job.
    """
    from django_q.models import Schedule

    now = now or timezone.now()
    counts = {"created": 0, "updated": 0, "deleted": 0}
    ours = Schedule.objects.using(using).filter(func__startswith=f"{__name__}.")
    with transaction.atomic(using=using):
        existing = {row.name: row for row in ours}
        for job in JOBS.values():
            wanted = {"func": job.path, "schedule_type": SCHEDULE_TYPES[job.every], "minutes": job.minutes}
            row = existing.pop(job.name, None)
            if row is None:
                Schedule.objects.using(using).create(name=job.name, repeats=-1, next_run=first_run(job, now), **wanted)
                counts["created"] += 1
            elif any(getattr(row, field) != value for field, value in wanted.items()) or row.repeats != -1:
                for field, value in wanted.items():
                    setattr(row, field, value)
                row.repeats, row.next_run = -1, first_run(job, now)
                row.save(using=using)
                counts["updated"] += 1
        for row in existing.values():
            row.delete()
            counts["deleted"] += 1
    return counts
