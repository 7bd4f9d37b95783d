"""The catalogue: the station, its shows and cast, episodes and their articles, the schedule, old paths."""

from episodes.catalogue.models.articles import Appearance, LinkedArticle
from episodes.catalogue.models.cast import Actor
from episodes.catalogue.models.episode_queries import episode_guid
from episodes.catalogue.models.episodes import Episode, EpisodeQuerySet
from episodes.catalogue.models.legacy import LegacyPath
from episodes.catalogue.models.revision import RevisionedModel, RevisionedQuerySet, SiteRevision
from episodes.catalogue.models.schedule import AiringSlot, Weekday
from episodes.catalogue.models.shows import Channel, Show, Station, moved_show_redirect, podcast_guid_for
from episodes.catalogue.models.slugs import FormerShowSlug
from episodes.catalogue.models.uploads import audio_upload_to, image_upload_to, thumbnail_upload_to

__all__ = [
    "AiringSlot",
    "Actor",
    "Appearance",
    "Channel",
    "Episode",
    "EpisodeQuerySet",
    "FormerShowSlug",
    "LegacyPath",
    "LinkedArticle",
    "RevisionedModel",
    "RevisionedQuerySet",
    "Show",
    "SiteRevision",
    "Station",
    "audio_upload_to",
    "episode_guid",
    "image_upload_to",
    "moved_show_redirect",
    "podcast_guid_for",
    "thumbnail_upload_to",
    "Weekday",
]
