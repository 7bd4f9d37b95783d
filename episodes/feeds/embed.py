"""The embeddable player (`/episode/<n>/embed`) and its oEmbed endpoint (`/oembed`).

The embed is the only page other sites may frame: it carries the player, the
article start times as chapters and a link back, sets no cookie and reads no
session, so a listener is not tracked across the sites it is embedded in.
Everything else keeps `X-Frame-Options: DENY` and `frame-ancestors 'none'`.
"""

from urllib.parse import urlsplit

from csp.decorators import csp_replace
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import Resolver404, resolve, reverse
from django.utils.html import escape
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from episodes.catalogue.links import absolute_url
from episodes.catalogue.models import Episode

# The thumbnail oEmbed offers (consumers show it at 100–320 px): a rendition at least this wide.
THUMBNAIL_WIDTH = 320
# The iframe oEmbed hands out (title, player and about three chapters without scrolling), and the smallest.
EMBED_WIDTH, EMBED_HEIGHT = 560, 320
MIN_WIDTH, MIN_HEIGHT = 240, 160


@require_safe
@xframe_options_exempt
@csp_replace({"frame-ancestors": ["*"]})
def episode_embed(request, number):
    """The player alone, for an iframe on another site: public episodes only."""
    episode = get_object_or_404(Episode.objects.published().for_page(), number=number)
    response = render(request, "episodes/embed.html", {"episode": episode, "show": episode.show})
    response["Cache-Control"] = "public, max-age=300"
    return response


def _episode_for_url(url: str) -> Episode:
    """The public episode an address on this site points at (its permalink, with or without slash)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or parts.netloc != urlsplit(settings.SITE_URL).netloc:
        raise Http404("このサイトのエピソードの URL ではありません。")
    try:
        match = resolve(parts.path.rstrip("/") or "/")
    except Resolver404 as exc:
        raise Http404("エピソードが見つかりません。") from exc
    if match.view_name not in {"episodes:episode", "episodes:episode_embed"}:
        raise Http404("エピソードの URL ではありません。")
    return get_object_or_404(Episode.objects.published().select_related("show"), number=match.kwargs["number"])


# More digits than any screen needs; a longer number is refused before int() sees it (4,300 digits raise).
MAX_SIZE_DIGITS = 6


class SizeInvalid(ValueError):
    """A maxwidth/maxheight that is a number out of range."""


def _bounded(value: str | None, default: int, minimum: int) -> int:
    """maxwidth/maxheight: a positive integer caps the size; a non-number leaves the default; a huge one is refused."""
    if value and value.isascii() and value.isdigit():
        if len(value) > MAX_SIZE_DIGITS:
            raise SizeInvalid(value)
        return max(minimum, min(default, int(value)))
    return default


@require_safe
def oembed(request):
    """oEmbed 1.0 (https://oembed.com/): a `rich` type whose html is the embed's iframe; JSON only."""
    if request.GET.get("format", "json") != "json":
        return HttpResponse("format=json だけに対応しています。", status=501, content_type="text/plain; charset=utf-8")
    try:
        width = _bounded(request.GET.get("maxwidth"), EMBED_WIDTH, MIN_WIDTH)
        height = _bounded(request.GET.get("maxheight"), EMBED_HEIGHT, MIN_HEIGHT)
    except SizeInvalid:
        message = f"maxwidth と maxheight は {MAX_SIZE_DIGITS} 桁までの整数にしてください。"
        return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
    episode = _episode_for_url(request.GET.get("url", ""))
    src = absolute_url(reverse("episodes:episode_embed", kwargs={"number": episode.number}))
    data = {
        "version": "1.0",
        "type": "rich",
        "provider_name": settings.SITE_NAME,
        "provider_url": settings.SITE_URL + "/",
        "title": episode.title,
        "author_name": episode.show.name,
        "author_url": absolute_url(episode.show.get_absolute_url()),
        "width": width,
        "height": height,
        "cache_age": 3600,
        "html": (
            f'<iframe src="{src}" width="{width}" height="{height}" frameborder="0" loading="lazy" '
            f'title="{escape(episode.title)}（{escape(settings.SITE_NAME)}）" allow="autoplay"></iframe>'
        ),
    }
    data.update(_thumbnail(episode))
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"  # read from other sites' editors in the browser
    return response


def _thumbnail(episode: Episode) -> dict:
    """oEmbed's thumbnail: a rendition of the episode's picture with its real size, not the 3000 px original.

    Until the renditions exist (or for an image given by URL) the original stands in, declared
    as the 320 px square consumers ask for, as before.
    """
    picture = episode.picture
    if not picture:
        return {}
    sized = picture.sized(THUMBNAIL_WIDTH)
    url, width, height = sized or (picture.src, THUMBNAIL_WIDTH, THUMBNAIL_WIDTH)
    return {"thumbnail_url": absolute_url(url), "thumbnail_width": width, "thumbnail_height": height}
