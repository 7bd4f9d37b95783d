"""Addresses of the old static site that must keep working."""

from django.core.files.storage import default_storage
from django.db import models
from django.templatetags.static import static

from episodes.catalogue.models.episodes import Episode
from episodes.catalogue.models.text import CleanTextModel

# Where the old site's files are stored (under their old paths), and how a target names a static file.
LEGACY_STORAGE = "legacy"
STATIC_TARGET = "static:"


class LegacyPath(CleanTextModel):
    """An old path (`/audio/…mp3`, `/images/…`) and where it lives now.

    Audio paths follow their episode, so a replaced file is still found;
    image paths point at the stored copy or at an external URL.
    """

    path = models.CharField("旧サイトのパス", max_length=500, unique=True)
    episode = models.ForeignKey(
        Episode, verbose_name="エピソード（音声）", null=True, blank=True, on_delete=models.CASCADE
    )
    target = models.CharField("移動先", max_length=1000, blank=True, help_text="保存したファイル名か URL。")

    class Meta:
        verbose_name = "旧サイトのパス"
        verbose_name_plural = "旧サイトのパス"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(episode__isnull=False) | ~models.Q(target=""), name="legacy_path_has_target"
            )
        ]

    def __str__(self) -> str:
        return self.path

    @property
    def is_old_file(self) -> bool:
        """A file of the old site stored under its old path (`legacy/…`), answered with its bytes."""
        return not self.episode_id and self.target.startswith(LEGACY_STORAGE + "/")

    def target_url(self) -> str:
        if self.episode_id:
            return self.episode.audio_src
        if self.target.startswith(("http://", "https://", "/")):
            return self.target  # an external URL, or a page of this site that replaces an old one
        if self.target.startswith(STATIC_TARGET):
            return static(self.target.removeprefix(STATIC_TARGET))
        return default_storage.url(self.target)
