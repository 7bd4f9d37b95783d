"""Show addresses: one short ASCII slug per show, and the former slugs that answer with a 301.

A show's slug is its URL (`/shows/<slug>/`, `/shows/<slug>/feed.xml`), and podcast apps keep
the feed URL they subscribed to for years, so a slug that changes (or an imported Japanese
one that was replaced) is kept here and redirected to the show's current address.
"""

import re
import unicodedata
from collections.abc import Callable

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from episodes.catalogue.models.revision import RevisionedModel

SLUG_MAX_LENGTH = 100
# Lower case only: URLs are case-sensitive, and `/shows/News/` beside `/shows/news/` helps nobody.
ASCII_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")
SLUG_MESSAGE = (
    "スラッグは半角の英小文字・数字・ハイフン（-）だけで書いてください（例: zundamon-news）。"
    "日本語・空白・記号は URL が読めない長い文字列に変わってしまうため使えません。"
)
SLUG_HELP = (
    "番組のURL（/shows/スラッグ/）とフィードのURLになります。半角の英小文字・数字・ハイフンだけ。"
    "空欄なら番組名から作ります（英数字にならない名前は show-番号）。"
    "変えても以前のURLは新しいURLへ転送されます（301）。"
)
SLUG_REDIRECTED_MESSAGE = (
    "このスラッグは別の番組の以前のURLとして転送に使われています"
    "（そのURLで購読しているアプリやリンクが迷子になります）。別のスラッグにしてください。"
)
validate_ascii_slug = RegexValidator(ASCII_SLUG, SLUG_MESSAGE, code="invalid_slug")


def ascii_slug_from(name: str) -> str:
    """The name as an ASCII slug when that keeps every letter of it ("" when it would drop some, as Japanese)."""
    decomposed = unicodedata.normalize("NFKD", name)
    if any(char.isalnum() and not char.isascii() for char in decomposed):
        return ""  # slugify would keep only the Latin part: "…AIニュース" is not "ai"
    slug = re.sub(r"[-_]+", "-", slugify(name)).strip("-")
    return slug[: SLUG_MAX_LENGTH - 10].strip("-")


def suggest_slug(name: str, *, free: Callable[[str], bool]) -> str:
    """The name's ASCII slug (`tech-news`, then `tech-news-2`…) when it has one, else `show-<n>`; the first `free` one."""
    base = ascii_slug_from(name)
    for n in range(1, 10_000):
        slug = (f"{base}-{n}" if n > 1 else base) if base else f"show-{n}"
        if free(slug):
            return slug
    raise ValueError(f"no free slug for {name!r}")


def unicode_slug_from(name: str) -> str:
    """The slug earlier versions gave a show of that name (Japanese kept), for recording it as former."""
    return slugify(name, allow_unicode=True)[:90]


class FormerShowSlug(RevisionedModel):
    """A slug a show was reachable under before: its three addresses answer 301 to the current ones."""

    show = models.ForeignKey(
        "catalogue.Show", verbose_name="番組", on_delete=models.CASCADE, related_name="former_slugs"
    )
    # Not validated as ASCII: the Japanese slugs of earlier imports are the reason this table exists.
    slug = models.CharField("以前のスラッグ", max_length=200, unique=True)
    retired_at = models.DateTimeField("使われなくなった日時", default=timezone.now)

    class Meta:
        verbose_name = "番組の以前のスラッグ"
        verbose_name_plural = "番組の以前のスラッグ"
        ordering = ["-retired_at"]

    def __str__(self) -> str:
        return self.slug
