"""The listeners' web pages: views, search, structured data and the old site's addresses."""

from django.apps import AppConfig, apps
from django.core.checks import Tags, register
from django.db.models.signals import post_migrate


def _search_index_after_migrate(sender, using, **kwargs):
    """A migration that rebuilt a catalogue table dropped its search triggers: put them back."""
    from django.db import connections

    from episodes.site.search import ensure_index

    ensure_index(connections[using])


class SiteConfig(AppConfig):
    name = "episodes.site"
    label = "site"
    verbose_name = "公開サイト"

    def ready(self):
        from episodes.site import search

        register(search.check_database, Tags.database)
        # The index lives on the catalogue's tables: rebuilt after the catalogue migrates.
        post_migrate.connect(
            _search_index_after_migrate,
            sender=apps.get_app_config("catalogue"),
            dispatch_uid="search_index_after_migrate",
        )
