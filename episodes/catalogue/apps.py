"""The station's catalogue: shows, cast, episodes, their articles, the schedule and the old site's paths."""

from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate


def _hosts_changed(sender, action, **kwargs):
    """Many-to-many writes bypass save(); a show's hosts appear in its feed."""
    if action in {"post_add", "post_remove", "post_clear"}:
        from episodes.catalogue.models import SiteRevision

        SiteRevision.bump()


def freeze_guids_after_migrate(sender, using, **kwargs):
    """Guids wait for a public SITE_URL; every deploy migrates, so the first one with it sets them."""
    from episodes.catalogue.models import Episode, Show, Station

    Episode.objects.using(using).freeze_guids()
    for model in (Station, Show):
        for channel in model.objects.using(using).filter(podcast_guid__isnull=True):
            channel.save(update_fields=["podcast_guid"])


class CatalogueConfig(AppConfig):
    name = "episodes.catalogue"
    label = "catalogue"
    verbose_name = "番組とエピソード"

    def ready(self):
        from episodes.catalogue import pictures, probes  # noqa: F401  (their save side effects, for the dashboard)
        from episodes.catalogue.models import Show

        post_migrate.connect(freeze_guids_after_migrate, sender=self, dispatch_uid="freeze_guids_after_migrate")
        m2m_changed.connect(_hosts_changed, sender=Show.hosts.through, dispatch_uid="show_hosts_revision")
