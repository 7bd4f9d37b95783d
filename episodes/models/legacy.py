"""Addresses of the old static site that must keep working."""

from django.core.files.storage import default_storage
from django.db import models

from .episodes import Episode
from .text import CleanTextModel


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

    def target_url(self) -> str:
        if self.episode_id:
            return self.episode.audio_src
        if self.target.startswith(("http://", "https://")):
            return self.target
        return default_storage.url(self.target)
