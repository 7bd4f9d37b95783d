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

# The old site is two builds in one repository: Jekyll's files at the root, and a
# Next.js app whose public/ folder is served at the same root (/images/x.jpg is
# public/images/x.jpg). Files are looked for in the root first.
EXTRA_SITE_ROOTS = ("public",)


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
        """An old site path as a full URL; "" stays "" (never the site's home page as an image)."""
        if not url or url.startswith(("http://", "https://")) or not self.config.url:
            return url
        return self.config.url + ("" if url.startswith("/") else "/") + url

    def is_own_url(self, url: str) -> bool:
        """Whether a URL or path points at the old site itself (its files are ours to bring)."""
        parts = urlsplit(url)
        return bool(url) and (not parts.scheme or parts.hostname == self.site_host)

    def _site_path(self, url: str) -> tuple[Path, Path] | None:
        """(root, file) under SITE_DIR or SITE_DIR/public/ that a site URL or path names, if there."""
        if not self.site_dir or not self.is_own_url(url):
            return None
        relative = unquote(urlsplit(url).path).lstrip("/")
        for root in (self.site_dir.resolve(), *(self.site_dir.resolve() / extra for extra in EXTRA_SITE_ROOTS)):
            candidate = (root / relative).resolve()
            if root in candidate.parents and candidate.is_file():
                return root, candidate
        return None

    def _store_site_image(self, url: str) -> str:
        """Store an image of the old site once (shared by every episode using it); "" if absent."""
        found = self._site_path(url)
        if found is None:
            return ""
        root, source = found
        if source in self._stored_images:
            return self._stored_images[source]
        old_path = "/" + source.relative_to(root).as_posix()
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
