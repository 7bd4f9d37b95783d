from django.apps import AppConfig
from django.db.models.signals import m2m_changed


class EpisodesConfig(AppConfig):
    name = "episodes"
    verbose_name = "番組とエピソード"

    def ready(self):
        from .models import Show, SiteRevision

        # Many-to-many writes bypass save(); a show's hosts appear in its feed.
        def hosts_changed(sender, action, **kwargs):
            if action in {"post_add", "post_remove", "post_clear"}:
                SiteRevision.bump()

        m2m_changed.connect(hosts_changed, sender=Show.hosts.through, dispatch_uid="show_hosts_revision")
