"""The domain: the station, its shows and cast, episodes, articles, letters."""

from .analytics import AddressDownloads, AggregationMark, DailyDownloads, DailySalt, DownloadHit
from .api import ApiToken, IdempotencyRecord
from .articles import Appearance, LinkedArticle
from .cast import Actor
from .episode_queries import episode_guid
from .episodes import Episode, EpisodeQuerySet
from .imports import ImportRecord
from .legacy import LegacyPath
from .letters import Letter
from .revision import RevisionedModel, RevisionedQuerySet, SiteRevision
from .schedule import AiringSlot, Weekday
from .shows import Channel, Show, Station, podcast_guid_for
from .uploads import audio_upload_to, image_upload_to, thumbnail_upload_to

__all__ = [
    "AiringSlot",
    "Actor",
    "ApiToken",
    "Appearance",
    "Channel",
    "AddressDownloads",
    "AggregationMark",
    "DailyDownloads",
    "DailySalt",
    "DownloadHit",
    "Episode",
    "EpisodeQuerySet",
    "IdempotencyRecord",
    "ImportRecord",
    "LegacyPath",
    "LinkedArticle",
    "Letter",
    "RevisionedModel",
    "RevisionedQuerySet",
    "Show",
    "SiteRevision",
    "Station",
    "audio_upload_to",
    "episode_guid",
    "image_upload_to",
    "podcast_guid_for",
    "thumbnail_upload_to",
    "Weekday",
]
