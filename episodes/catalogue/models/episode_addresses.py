"""Where an episode's audio and images are fetched from: stored, external, signed, or the show's instead.

A mixin of `Episode` (models/episodes.py), apart because these addresses are one question
(what URL does a page, a player or a feed print) asked by many readers.
"""

import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.urls import reverse

from episodes.media import images
from episodes.media.audio import format_duration
from episodes.media.renditions import Picture, picture_for


class EpisodeAddresses:
    def _stored_url(self, fieldfile) -> str:
        """Plain once public; on S3 before that a short-lived signed URL, the object being private (s3_media.py)."""
        if self.is_public or not hasattr(fieldfile.storage, "private_url"):
            return fieldfile.url
        return fieldfile.storage.private_url(fieldfile.name)

    @property
    def audio_src(self) -> str:
        """Where players and feeds fetch the audio."""
        if self.audio_file:
            return self._stored_url(self.audio_file)
        return self.audio_url

    @property
    def listen_src(self) -> str:
        """Where players and feeds send listeners: the counting URL when ANALYTICS_LISTEN_URLS is on and the
        audio is not served by this site (another host, object storage), else the audio itself."""
        if (
            settings.ANALYTICS_LISTEN_URLS
            and self.pk
            and (self.audio_url or (self.audio_file and settings.MEDIA_ON_S3))
        ):
            path = unquote(urlsplit(self.audio_url).path) if self.audio_url else self.audio_file.name
            return reverse("episodes:listen", args=[self.pk, posixpath.basename(path) or "audio.mp3"])
        return self.audio_src

    @property
    def audio_mime_display(self) -> str:
        return self.audio_mime_type or "audio/mpeg"

    @property
    def duration_display(self) -> str:
        return format_duration(self.audio_duration)

    @property
    def own_image_src(self) -> str:
        """The episode's own image ("" when it has none: a page URL is none)."""
        if self.image:
            return self._stored_url(self.image)
        return self.image_url if images.is_image_url(self.image_url) else ""

    @property
    def image_src(self) -> str:
        """For pages, social cards, JSON-LD and chapters: its own, else the show's artwork, else the station's."""
        return self.own_image_src or self.show.cover_src

    @property
    def feed_image_src(self) -> str:
        """For the feed item: its own, else the artwork Apple accepts of the show, else of the station."""
        return self.own_image_src or self.show.feed_cover_src

    @property
    def thumbnail_src(self) -> str:
        if self.thumbnail:
            return self._stored_url(self.thumbnail)
        if images.is_image_url(self.thumbnail_url) and not self.image:
            return self.thumbnail_url
        return self.image_src

    @property
    def picture(self) -> Picture:
        """Like image_src, with the renditions pages print as srcset."""
        if self.image:
            return picture_for(self.image, self.renditions)
        return Picture(self.own_image_src) if self.own_image_src else self.show.cover_picture

    @property
    def card_picture(self) -> Picture:
        """For lists: the picture once its renditions exist, else the thumbnail made at save."""
        picture = self.picture
        return picture if picture.ready else Picture(self.thumbnail_src)
