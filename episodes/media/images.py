"""Image checks and derived images, by content (Pillow), never by file name."""

import secrets
from io import BytesIO
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from PIL import Image, UnidentifiedImageError

# Formats we accept for covers and portraits, and their canonical extension.
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "GIF": "gif", "WEBP": "webp"}
ARTWORK_FORMATS = {"JPEG", "PNG"}
ARTWORK_MIN_PX = 1400
ARTWORK_MAX_PX = 3000
THUMBNAIL_PX = 480
# Refuse decompression bombs well before Pillow's own warning threshold.
MAX_PIXELS = 40_000_000


def identify_image(fileobj) -> tuple[str, tuple[int, int]]:
    """Return (format, (width, height)) of an image, or raise ValidationError."""
    fileobj.seek(0)
    try:
        with Image.open(fileobj) as image:
            image_format, size = image.format, image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            "画像として読み取れないファイルです（JPEG・PNG・GIF・WebP のみ）。", code="invalid_image"
        ) from exc
    finally:
        fileobj.seek(0)
    if image_format not in EXTENSIONS:
        raise ValidationError(
            f"{image_format} 形式の画像は使えません（JPEG・PNG・GIF・WebP のみ）。", code="image_format"
        )
    if size[0] * size[1] > MAX_PIXELS:
        raise ValidationError("画像が大きすぎます。", code="image_too_large")
    return image_format, size


def validate_image(fieldfile) -> None:
    """Model-field validator: the file must really be a supported image."""
    identify_image(fieldfile)


def is_image_url(url: str) -> bool:
    """False for an empty URL or one that names a page (a site root, a folder), never an image file.

    The old site wrote its root URL where a post had no image; such a value
    means "no image" everywhere, so pages and feeds fall back to the artwork.
    """
    if not url or not url.strip():
        return False
    path = urlsplit(url.strip()).path
    return bool(path) and not path.endswith("/")


# Artwork takes any real image (a conforming feed rendition is made on save);
# the name stays because migration 0006 refers to it.
validate_artwork_source = validate_image


def artwork_conforms(fileobj) -> bool:
    """Whether an image already meets Apple's artwork rules (so no rendition is needed)."""
    try:
        validate_artwork(fileobj)
    except ValidationError:
        return False
    fileobj.seek(0)
    with Image.open(fileobj) as image:
        mode = image.mode
    fileobj.seek(0)
    # Apple wants the RGB colour space and no alpha channel (RGBA, LA, P with transparency, CMYK, L…).
    return mode == "RGB"


def make_feed_artwork(fileobj) -> ContentFile:
    """A square RGB JPEG of 1400–3000 px that Apple accepts, made from any artwork.

    Transparent parts go onto white; a non-square image is centred on a square
    of its top-left pixel's colour (its background, in most cover art) rather
    than cropped, so no title is cut off. Smaller images are scaled up to the
    1400 px minimum, larger ones down to 3000.
    """
    fileobj.seek(0)
    with Image.open(fileobj) as source:
        source.load()
        image = source.convert("RGBA")
    fileobj.seek(0)
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(image, mask=image.getchannel("A"))
    side = max(flat.size)
    square = Image.new("RGB", (side, side), flat.getpixel((0, 0)))
    square.paste(flat, ((side - flat.width) // 2, (side - flat.height) // 2))
    target = min(max(side, ARTWORK_MIN_PX), ARTWORK_MAX_PX)
    if target != side:
        square = square.resize((target, target), Image.Resampling.LANCZOS)
    out = BytesIO()
    square.save(out, format="JPEG", quality=90, optimize=True, dpi=(72, 72))
    return ContentFile(out.getvalue())


def validate_artwork(fieldfile) -> None:
    """Podcast directories require square JPEG/PNG artwork of 1400–3000 px."""
    image_format, (width, height) = identify_image(fieldfile)
    if image_format not in ARTWORK_FORMATS:
        raise ValidationError("番組アートワークは JPEG か PNG にしてください。", code="artwork_format")
    if width != height:
        raise ValidationError(
            f"番組アートワークは正方形にしてください（現在 {width}×{height}px）。", code="artwork_square"
        )
    if not ARTWORK_MIN_PX <= width <= ARTWORK_MAX_PX:
        raise ValidationError(
            f"番組アートワークは {ARTWORK_MIN_PX}〜{ARTWORK_MAX_PX}px 四方にしてください（現在 {width}px）。",
            code="artwork_size",
        )


def name_with_detected_extension(name: str, fileobj) -> str:
    """Give an uploaded image the extension of the format Pillow detected."""
    image_format, _ = identify_image(fileobj)
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem or 'image'}.{EXTENSIONS[image_format]}"))


def make_thumbnail(fileobj, size: int = THUMBNAIL_PX) -> ContentFile:
    """A small JPEG for lists, made once when the image is saved."""
    fileobj.seek(0)
    with Image.open(fileobj) as image:
        image = image.convert("RGB")
        image.thumbnail((size, size))
        out = BytesIO()
        image.save(out, format="JPEG", quality=85, optimize=True)
    fileobj.seek(0)
    return ContentFile(out.getvalue())


def is_new_upload(fieldfile) -> bool:
    """True for a file chosen in this request and not yet written to storage."""
    return bool(fieldfile) and not getattr(fieldfile, "_committed", True)


def fix_uploaded_extension(fieldfile) -> None:
    """Before storing a new image upload, name it after its real format."""
    if is_new_upload(fieldfile):
        fieldfile.name = name_with_detected_extension(fieldfile.name, fieldfile.file)


def random_folder() -> str:
    """A fresh folder name, so a new upload never takes an old file's URL."""
    return secrets.token_hex(6)
