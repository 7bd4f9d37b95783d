"""What podcast apps and crawlers read: RSS feeds, chapters, transcripts, the embed, sitemaps, WebSub."""

from django.apps import AppConfig
from django.db.models.signals import post_save


def _announce_public_episode(sender, instance, raw=False, **kwargs):
    """A public episode saved: apps subscribed through the WebSub hub hear of it once the save commits.

    The catalogue knows nothing of hubs, so this app listens to its saves; a scheduled
    episode is announced when its time comes, by the `websub_ping` job.
    """
    if instance.is_public and not raw:
        from episodes.feeds import websub

        websub.announce_on_commit(lambda: [instance.show])


class FeedsConfig(AppConfig):
    name = "episodes.feeds"
    label = "feeds"
    verbose_name = "フィード"

    def ready(self):
        from episodes.catalogue.models import Episode

        post_save.connect(_announce_public_episode, sender=Episode, dispatch_uid="websub_announce_public_episode")
