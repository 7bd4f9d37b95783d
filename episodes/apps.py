import axes.apps
from django.apps import AppConfig
from django.core.checks import Tags, register
from django.db.models.signals import m2m_changed, post_migrate


def _hosts_changed(sender, action, **kwargs):
    """Many-to-many writes bypass save(); a show's hosts appear in its feed."""
    if action in {"post_add", "post_remove", "post_clear"}:
        from .models import SiteRevision

        SiteRevision.bump()


def _search_index_after_migrate(sender, using, **kwargs):
    """A migration that rebuilt a table dropped its search triggers: put them back."""
    from django.db import connections

    from .search import ensure_index

    ensure_index(connections[using])


def freeze_guids_after_migrate(sender, using, **kwargs):
    """Guids wait for a public SITE_URL; every deploy migrates, so the first one with it sets them."""
    from .models import Episode, Show, Station

    Episode.objects.using(using).freeze_guids()
    for model in (Station, Show):
        for channel in model.objects.using(using).filter(podcast_guid__isnull=True):
            channel.save(update_fields=["podcast_guid"])


def sync_job_schedules_after_migrate(sender, using, **kwargs):
    """Every deploy migrates: the worker's schedule table then matches the jobs declared in episodes/tasks.py."""
    from .tasks import sync_schedules

    sync_schedules(using=using)


class EpisodesConfig(AppConfig):
    name = "episodes"
    verbose_name = "番組とエピソード"

    def ready(self):
        from . import search
        from .models import Show

        register(search.check_database, Tags.database)
        post_migrate.connect(_search_index_after_migrate, sender=self, dispatch_uid="search_index_after_migrate")
        post_migrate.connect(freeze_guids_after_migrate, sender=self, dispatch_uid="freeze_guids_after_migrate")
        from django_q.signals import pre_execute

        from .tasks import mark_started

        pre_execute.connect(mark_started, dispatch_uid="job_started_when_run")
        post_migrate.connect(
            sync_job_schedules_after_migrate, sender=self, dispatch_uid="sync_job_schedules_after_migrate"
        )
        m2m_changed.connect(_hosts_changed, sender=Show.hosts.through, dispatch_uid="show_hosts_revision")


class AxesConfig(axes.apps.AppConfig):
    """django-axes under a Japanese heading: the admin index otherwise shows its label, "Axes"."""

    name = "axes"
    verbose_name = "ログイン制限"
    # Never the episodes app's own config: with two candidates in this module Django would pick neither.
    default = False
