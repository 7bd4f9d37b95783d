"""The old site's files as the importer meets them: site paths, images, audio and its companions.

Kept apart from the per-post import so that where a file lives, and storing each
site image only once, is decided in one place for episodes and actors alike.
"""

import hashlib
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.files import File
from django.core.files.storage import default_storage

from .. import images
from ..models import LegacyPath
from .jekyll import Post, SiteConfig


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks (MP3s can be hundreds of MB)."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


class SiteFilesMixin:
    """Finds and stores the files of the Jekyll site for `ArchiveImporter`."""

    config: SiteConfig
    site_dir: Path | None
    site_host: str
    audio_root: Path | None
    _stored_images: dict[Path, str]

    def _absolute(self, url: str) -> str:
        if url.startswith(("http://", "https://")) or not self.config.url:
            return url
        return self.config.url + ("" if url.startswith("/") else "/") + url

    def _site_path(self, url: str) -> Path | None:
        """The file under SITE_DIR that a site URL or path names, if it is there."""
        if not self.site_dir:
            return None
        parts = urlsplit(url)
        if parts.scheme and parts.hostname != self.site_host:
            return None
        relative = unquote(parts.path).lstrip("/")
        candidate = (self.site_dir / relative).resolve()
        if self.site_dir.resolve() not in candidate.parents or not candidate.is_file():
            return None
        return candidate

    def _store_site_image(self, url: str) -> str:
        """Store an image of the old site once (shared by every episode using it); "" if absent."""
        source = self._site_path(url)
        if source is None:
            return ""
        if source in self._stored_images:
            return self._stored_images[source]
        old_path = "/" + source.relative_to(self.site_dir.resolve()).as_posix()
        legacy = LegacyPath.objects.filter(path=old_path).first()
        if legacy and legacy.target and default_storage.exists(legacy.target):
            self._stored_images[source] = legacy.target
            return legacy.target
        with source.open("rb") as f:
            name = images.name_with_detected_extension(source.name, f)
            stored = default_storage.save(f"images/imported/{images.random_folder()}/{name}", File(f))
        LegacyPath.objects.update_or_create(path=old_path, defaults={"target": stored, "episode": None})
        self._stored_images[source] = stored
        return stored

    def audio_file_for(self, post: Post) -> Path | None:
        """The post's MP3 under the audio root, if it is there (external URLs have none)."""
        if not post.audio_path or post.audio_path.startswith(("http://", "https://")) or not self.audio_root:
            return None
        candidate = self.audio_root / post.audio_filename
        return candidate if candidate.is_file() else None

    def _beside_audio(self, post: Post, suffix: str) -> Path | None:
        if not self.audio_root or not post.audio_stem:
            return None
        candidate = self.audio_root / (post.audio_stem + suffix)
        return candidate if candidate.is_file() else None
