"""Background jobs and their health, backups and the upgrade step."""

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate


def sync_job_schedules_after_migrate(sender, using, **kwargs):
    """Every deploy migrates: the worker's schedule table then matches the jobs in operations/tasks.py."""
    from episodes.operations.tasks import sync_schedules

    sync_schedules(using=using)


class OperationsConfig(AppConfig):
    name = "episodes.operations"
    label = "operations"
    verbose_name = "運用"

    def ready(self):
        from django_q.signals import pre_execute

        from episodes.operations.tasks import mark_started

        pre_execute.connect(mark_started, dispatch_uid="job_started_when_run")
        # This app has no tables; django-q2's own migrate is the moment its schedule table exists.
        post_migrate.connect(
            sync_job_schedules_after_migrate,
            sender=apps.get_app_config("django_q"),
            dispatch_uid="sync_job_schedules_after_migrate",
        )
