"""The old site's files as the importer meets them: site paths, images, audio and its companions.

Kept apart from the per-post import so that where a file lives, and storing each
site image only once, is decided in one place for episodes and actors alike.
"""

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.files import File
from django.core.files.storage import default_storage

from episodes.catalogue.models import LegacyPath
from episodes.media import images
from episodes.media.remote_http import is_external
from episodes.publishing.importers.jekyll import Post

# The old site is two builds in one repository: Jekyll's files at the root, and a
# Next.js app whose public/ folder is served at the same root (/images/x.jpg is
# public/images/x.jpg). Files are looked for in the root first.
EXTRA_SITE_ROOTS = ("public",)


@dataclass
class PostFiles:
    """A post's companions: its MP3 (stored as `audio_name`), script and slide timeline; any may be absent.

    `audio_sha256` is the MP3's hash when it was already taken (as an upload arrived).
    """

    audio: Path | None = None
    audio_name: str = ""
    audio_sha256: str | None = None
    script: Path | None = None
    timeline: Path | None = None


@dataclass
class SiteFiles:
    """Where one import finds files: the site folder (if any), its URL, the audio folder.

    `stored` remembers the images already stored in this import, so an image
    many posts use is stored once.
    """

    site_dir: Path | None = None
    base_url: str = ""
    audio_root: Path | None = None
    stored: dict[Path, str] = field(default_factory=dict)

    def absolute(self, url: str) -> str:
        """An old site path as a full URL; "" stays "" (never the site's home page as an image)."""
        if not url or is_external(url) or not self.base_url:
            return url
        return self.base_url + ("" if url.startswith("/") else "/") + url

    def is_missing(self, url: str) -> bool:
        """An address of the old site itself whose file is not in the folder: nobody can serve it after the switch."""
        return bool(url and self.site_dir and self.is_own_url(url) and self.site_path(url) is None)

    def linked_image_url(self, url: str) -> str:
        """The URL an image not stored here is linked at: another host's as is, a missing file of the old site none."""
        return "" if self.is_missing(url) else self.absolute(url)

    def is_own_url(self, url: str) -> bool:
        """Whether a URL or path points at the old site itself (its files are ours to bring)."""
        parts = urlsplit(url)  # `//cdn.example/x` has a host and no scheme: not ours
        return bool(url) and (not parts.netloc or parts.hostname == (urlsplit(self.base_url).hostname or ""))

    def site_path(self, url: str) -> tuple[Path, Path] | None:
        """(root, file) under the site folder or its public/ that a site URL or path names, if there."""
        if not self.site_dir or not self.is_own_url(url):
            return None
        relative = unquote(urlsplit(url).path).lstrip("/")
        for root in (self.site_dir.resolve(), *(self.site_dir.resolve() / extra for extra in EXTRA_SITE_ROOTS)):
            candidate = (root / relative).resolve()
            if root in candidate.parents and candidate.is_file():
                return root, candidate
        return None

    def store_image(self, url: str) -> str:
        """Store an image of the old site once (shared by every episode using it); "" if absent."""
        found = self.site_path(url) if url else None
        if found is None:
            return ""
        root, source = found
        if source in self.stored:
            return self.stored[source]
        old_path = "/" + source.relative_to(root).as_posix()
        legacy = LegacyPath.objects.filter(path=old_path).first()
        if legacy and legacy.target and default_storage.exists(legacy.target):
            self.stored[source] = legacy.target
            return legacy.target
        with source.open("rb") as f:
            name = images.name_with_detected_extension(source.name, f)
            stored = default_storage.save(f"images/imported/{images.random_folder()}/{name}", File(f))
        LegacyPath.objects.update_or_create(path=old_path, defaults={"target": stored, "episode": None})
        self.stored[source] = stored
        return stored

    def audio_file_for(self, post: Post) -> Path | None:
        """The post's MP3 under the audio root, if it is there (external URLs have none)."""
        if not post.audio_path or is_external(post.audio_path) or not self.audio_root:
            return None
        candidate = self.audio_root / post.audio_filename
        return candidate if candidate.is_file() else None

    def files_for(self, post: Post, *, audio: Path | None = None) -> PostFiles:
        """The post's MP3 (`audio`, or found under the audio root) with the script and timeline beside it."""
        return PostFiles(
            audio=audio or self.audio_file_for(post),
            script=self.beside_audio(post, ".txt"),
            timeline=self.beside_audio(post, ".json"),
        )

    def beside_audio(self, post: Post, suffix: str) -> Path | None:
        """The script (`.txt`) or timeline (`.json`) named like the post's MP3, if it is there."""
        if not self.audio_root or not post.audio_stem:
            return None
        candidate = self.audio_root / (post.audio_stem + suffix)
        return candidate if candidate.is_file() else None
