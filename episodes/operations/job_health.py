"""Is the background worker keeping up? Each job's last run and next run, for the dashboard and /healthz.

A job is *late* when its next run is more than `WORKER_STALLED_AFTER_MINUTES`
in the past: the worker turns a due schedule into a task within 30 seconds,
so a job that late means no worker is running (or none reaches the database).
A job is *failing* when its last run failed. Two queries, whatever the history.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from episodes.operations.tasks import JOBS, SIDE_EFFECTS


@dataclass
class JobStatus:
    """One line of the dashboard's job table."""

    name: str
    description: str
    schedule: str
    next_run: datetime | None
    last_started: datetime | None
    last_stopped: datetime | None
    last_success: bool | None
    last_result: str
    late: bool

    @property
    def failing(self) -> bool:
        return self.last_success is False

    @property
    def healthy(self) -> bool:
        return not (self.late or self.failing)

    @property
    def duration(self) -> float | None:
        if self.last_started and self.last_stopped:
            return max(0.0, (self.last_stopped - self.last_started).total_seconds())
        return None


def _summary(result) -> str:
    """The first line of a result or a failure (a failure carries its traceback after ' : ')."""
    text = "" if result is None else str(result)
    return text.split(" : Traceback", 1)[0].splitlines()[0][:300] if text else ""


def job_statuses(*, now: datetime | None = None) -> list[JobStatus]:
    """Every periodic job, then every kind of save side effect, with its last run."""
    from django_q.models import Schedule, Task

    now = now or timezone.now()
    stalled_after = timedelta(minutes=settings.WORKER_STALLED_AFTER_MINUTES)
    paths = [job.path for job in JOBS.values()] + [effect.path for effect in SIDE_EFFECTS.values()]
    latest = Task.objects.filter(func=OuterRef("func")).order_by("-stopped").values("stopped")[:1]
    last = {task.func: task for task in Task.objects.filter(func__in=paths, stopped=Subquery(latest))}
    schedules = {row.name: row.next_run for row in Schedule.objects.filter(name__in=list(JOBS))}

    def status(name, path, description, schedule, next_run) -> JobStatus:
        task = last.get(path)
        return JobStatus(
            name=name,
            description=description,
            schedule=schedule,
            next_run=next_run,
            last_started=task.started if task else None,
            last_stopped=task.stopped if task else None,
            last_success=task.success if task else None,
            last_result=_summary(task.result) if task else "",
            late=next_run is not None and next_run < now - stalled_after,
        )

    rows = [
        status(job.name, job.path, job.description, job.schedule_label, schedules.get(job.name))
        for job in JOBS.values()
    ]
    rows += [
        status(effect.name, effect.path, effect.description, "保存のたび", None)
        for effect in sorted(SIDE_EFFECTS.values(), key=lambda effect: effect.name)
    ]
    return rows


def stalled_jobs(*, now: datetime | None = None) -> list[str]:
    """The periodic jobs overdue by more than the allowed delay (one query): a stalled or absent worker."""
    from django_q.models import Schedule

    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.WORKER_STALLED_AFTER_MINUTES)
    return sorted(Schedule.objects.filter(name__in=list(JOBS), next_run__lt=cutoff).values_list("name", flat=True))
