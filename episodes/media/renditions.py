"""Image renditions: small WebP copies (with a JPEG/PNG fallback) and a 1200×630 card, made once per upload.

Why Pillow directly rather than django-imagekit, easy-thumbnails or sorl-thumbnail: all
three make a thumbnail on demand the first time a template asks for it, and then check a
database table, a key-value store or the storage (a network round trip on S3) for every
image of every page. Our uploads already get a fresh folder each, so a rendition's name
follows from its source's name and never goes stale; what was made is recorded on the row
(`renditions`, a small JSON object), so a page prints `srcset` from fields it already loaded
and never touches the storage. Pillow is already what checks uploads and makes the feed
artwork, and the whole job is a few resizes.

This module works on stored files only; a row's renditions are made and recorded by
`episodes/catalogue/pictures.py`, off the save, by the worker.
"""

import json
import logging
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from PIL import Image, ImageOps

logger = logging.getLogger(__name__)

# The widths pages ask for: 1x and 2x of the 48–200 px thumbnails, and 400/800 for wide screens.
WIDTHS = (96, 192, 400, 800)
CARD_SIZE = (1200, 630)
WEBP_QUALITY = 78
JPEG_QUALITY = 82


@dataclass(frozen=True)
class Picture:
    """One image as a page prints it: the original URL and, once made, its renditions."""

    src: str
    record: dict = field(default_factory=dict)
    storage: object = None

    def __bool__(self) -> bool:
        return bool(self.src)

    @property
    def ready(self) -> bool:
        return bool(self.record.get("widths")) and self.storage is not None

    def url(self, width: int, ext: str) -> str:
        return self.storage.url(rendition_name(self.record["source"], width, ext))

    def srcset(self, ext: str) -> str:
        return ", ".join(f"{self.url(width, ext)} {width}w" for width in self.record["widths"])

    def best_url(self, width: int) -> str:
        """The smallest fallback rendition at least `width` wide (the original before any are made)."""
        sized = self.sized(width)
        return sized[0] if sized else self.src

    def sized(self, width: int) -> tuple[str, int, int] | None:
        """The fallback rendition `best_url(width)` picks, with its pixel size; None until renditions exist."""
        if not self.ready:
            return None
        widths = self.record["widths"]
        chosen = next((w for w in widths if w >= width), widths[-1])
        return self.url(chosen, self.record["fallback"]), chosen, self.height_for(chosen)

    @property
    def card_src(self) -> str:
        """The 1200×630 JPEG for Open Graph and Twitter cards (the original until it is made)."""
        if self.ready and self.record.get("card"):
            return self.storage.url(card_name(self.record["source"]))
        return self.src

    @property
    def thumb_src(self) -> str:
        """For the 48 px mini-player at 2x."""
        return self.best_url(96)

    @property
    def media_artwork_json(self) -> str:
        """Media Session artwork (the lock screen picks a size): every fallback rendition, else the original."""
        if not self.ready:
            return json.dumps([{"src": self.src}] if self.src else [])
        ext = self.record["fallback"]
        kind = "image/png" if ext == "png" else "image/jpeg"
        sizes = [(width, self.height_for(width)) for width in self.record["widths"]]
        return json.dumps([{"src": self.url(w, ext), "sizes": f"{w}x{h}", "type": kind} for w, h in sizes])

    def height_for(self, width: int) -> int:
        if self.record.get("width") and self.record.get("height"):
            return max(1, round(width * self.record["height"] / self.record["width"]))
        return width

    def tag(self, *, width: int, height: int | None = None, alt: str = "", css_class: str = "", lazy: bool = True):
        """`<picture>` with WebP and fallback srcsets for an image shown `width` CSS px wide."""
        height = height or self.height_for(width)
        css = format_html('class="{}" ', css_class) if css_class else ""
        rest = format_html(
            'alt="{}" width="{}" height="{}"{}',
            alt,
            width,
            height,
            mark_safe(' loading="lazy" decoding="async"') if lazy else "",
        )
        if not self.ready:
            return format_html('<img {}src="{}" {}>', css, self.src, rest)
        sizes = f"{width}px"
        return format_html(
            '<picture><source type="image/webp" srcset="{}" sizes="{}">'
            '<img {}src="{}" srcset="{}" sizes="{}" {}></picture>',
            self.srcset("webp"),
            sizes,
            css,
            self.best_url(width * 2),
            self.srcset(self.record["fallback"]),
            sizes,
            rest,
        )


def picture_for(fieldfile, record: dict) -> Picture:
    """The Picture of a stored image: its renditions count only if they were made from this very file."""
    if not fieldfile:
        return Picture("")
    usable = record if record and record.get("source") == fieldfile.name else {}
    return Picture(fieldfile.url, usable, fieldfile.storage)


def rendition_name(source: str, width: int, ext: str) -> str:
    path = PurePosixPath(source)
    return str(path.with_name(f"{path.stem}-{width}w.{ext}"))


def card_name(source: str) -> str:
    path = PurePosixPath(source)
    return str(path.with_name(f"{path.stem}-card.jpg"))


def _encode(image: Image.Image, ext: str) -> ContentFile:
    out = BytesIO()
    if ext == "webp":
        image.save(out, format="WEBP", quality=WEBP_QUALITY, method=6)
    elif ext == "png":
        image.save(out, format="PNG", optimize=True)
    else:
        image.convert("RGB").save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return ContentFile(out.getvalue())


def _card(image: Image.Image) -> Image.Image:
    """The whole image centred on a 1200×630 canvas of its top-left pixel's colour: no title is cropped."""
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    canvas = Image.new("RGB", CARD_SIZE, flat.getpixel((0, 0)))
    fitted = ImageOps.contain(flat, CARD_SIZE, Image.Resampling.LANCZOS)
    canvas.paste(fitted, ((CARD_SIZE[0] - fitted.width) // 2, (CARD_SIZE[1] - fitted.height) // 2))
    return canvas


def make_renditions(storage, source: str) -> dict:
    """Write the renditions of one stored image (those already there are kept) and return the record."""
    with storage.open(source, "rb") as fileobj, Image.open(fileobj) as opened:
        opened.load()
        image = ImageOps.exif_transpose(opened).convert("RGBA")
    has_alpha = image.getchannel("A").getextrema()[0] < 255
    fallback = "png" if has_alpha else "jpg"
    widths = sorted({w for w in WIDTHS if w < image.width} | {min(image.width, WIDTHS[-1])})
    for width in widths:
        height = max(1, round(width * image.height / image.width))
        resized = image if width == image.width else image.resize((width, height), Image.Resampling.LANCZOS)
        if not has_alpha:
            resized = resized.convert("RGB")
        for ext in ("webp", fallback):
            name = rendition_name(source, width, ext)
            if not storage.exists(name):
                storage.save(name, _encode(resized, ext))
    if not storage.exists(card_name(source)):
        storage.save(card_name(source), _encode(_card(image), "jpg"))
    return {
        "source": source,
        "width": image.width,
        "height": image.height,
        "widths": widths,
        "fallback": fallback,
        "card": True,
    }


def needs_renditions(instance, field: str) -> bool:
    """Whether the row's image has no renditions made from it yet."""
    fieldfile = getattr(instance, field)
    return bool(fieldfile) and (instance.renditions or {}).get("source") != fieldfile.name
