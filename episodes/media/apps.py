"""Audio and image files by their content: probes, checks, renditions and where they are stored."""

from django.apps import AppConfig


class MediaConfig(AppConfig):
    name = "episodes.media"
    label = "media"
    verbose_name = "音声と画像"
