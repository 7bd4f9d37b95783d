"""The old site's addresses on the new one: audio and images (301), its other files at their old paths.

Every path the old domain answered is a `LegacyPath` row (made by import_jekyll):
an episode's audio (301 to where it lives now, counted as a download), an
image stored once (301 to it), a page the new site replaces (301 there), or
a file of the old site stored under `legacy/` and answered here with its very
bytes, so relative links between the old files (a slide deck's images) hold.
"""

import mimetypes
from urllib.parse import unquote

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_safe

from episodes.catalogue.models import LegacyPath
from episodes.site.media import record_requested

OLD_PAGE_POLICY = (
    "sandbox allow-scripts allow-popups; default-src 'self' data: blob: https: 'unsafe-inline'; frame-ancestors 'self'"
)


@require_safe
def old_path(request, path: str, prefix: str = ""):
    """An old address → its file, its episode's audio or the page that replaces it."""
    old = "/" + (f"{prefix}/" if prefix else "") + unquote(path)
    legacy = LegacyPath.objects.select_related("episode").filter(path=old).first()
    if legacy is None:
        if _answers_with_slash(request, old):
            return redirect(f"{request.path}/", permanent=True)
        raise Http404("ページが見つかりません。")
    if legacy.episode_id:
        if not legacy.episode.is_public:
            raise Http404("ファイルが見つかりません。")
        record_requested(request, episode_id=legacy.episode_id, size=legacy.episode.audio_size, source="legacy")
        return redirect(legacy.target_url(), permanent=True)
    if legacy.is_old_file and not settings.MEDIA_ON_S3:
        return _old_file(legacy.target)
    target = legacy.target_url()
    if not target:
        raise Http404("ファイルが見つかりません。")
    return redirect(target, permanent=True)


def _answers_with_slash(request, old: str) -> bool:
    """APPEND_SLASH as CommonMiddleware would (this catch-all resolves every path, so it cannot), and old folders."""
    if old.endswith("/") or not settings.APPEND_SLASH:
        return False
    try:
        match = resolve(f"{request.path_info}/")
    except Resolver404:
        return False
    if match.func is not old_path:
        return True  # a page of the new site
    return LegacyPath.objects.filter(path=f"{old}/").exists()  # a folder GitHub Pages answered at its slash


def _old_file(name: str) -> FileResponse:
    """The old site's own file, as its host sent it (HTML renders: these pages are the station's)."""
    try:
        handle = default_storage.open(name, "rb")
    except OSError as exc:
        raise Http404("ファイルが見つかりません。") from exc
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type.startswith("text/") or content_type in {"application/javascript", "application/json"}:
        content_type += "; charset=utf-8"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    if content_type.startswith(("text/html", "image/svg+xml")):
        # The old pages (Marp decks) need their inline scripts and styles; sandboxed, they run in an
        # opaque origin, with no access to this site's cookies, storage or pages.
        response["Content-Security-Policy"] = OLD_PAGE_POLICY
    return response
