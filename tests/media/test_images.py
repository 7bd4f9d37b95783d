"""Images are identified by content with Pillow, never by their names."""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from PIL import Image

from episodes.media.images import identify_image, make_thumbnail, name_with_detected_extension, validate_artwork
from tests.factories import image_bytes


@pytest.mark.parametrize(("fmt", "ext"), [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")])
def test_detected_extension(fmt, ext):
    data = BytesIO(image_bytes(fmt=fmt))
    assert name_with_detected_extension("dir/photo.svg", data) == f"dir/photo.{ext}"
    assert data.tell() == 0


@pytest.mark.parametrize(
    "content",
    [b"", b"GIF89a garbage", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", b"%PDF-1.4"],
    ids=["empty", "broken-gif", "svg", "pdf"],
)
def test_not_images_refused(content):
    with pytest.raises(ValidationError):
        identify_image(BytesIO(content))


def test_unsupported_format_refused():
    out = BytesIO()
    Image.new("RGB", (8, 8)).save(out, format="BMP")
    with pytest.raises(ValidationError) as excinfo:
        identify_image(out)
    assert "BMP" in excinfo.value.messages[0]


def test_decompression_bomb_refused():
    out = BytesIO()
    Image.new("1", (8000, 8000)).save(out, format="PNG")
    with pytest.raises(ValidationError):
        identify_image(out)


@pytest.mark.parametrize("px", [1400, 3000])
def test_artwork_limits_accepted(px):
    validate_artwork(BytesIO(image_bytes(px, px, fmt="JPEG")))


@pytest.mark.parametrize(("w", "h"), [(1399, 1399), (3001, 3001), (1400, 1500)])
def test_artwork_limits_refused(w, h):
    with pytest.raises(ValidationError):
        validate_artwork(BytesIO(image_bytes(w, h)))


def test_thumbnail_is_small_jpeg_keeping_aspect():
    thumb = make_thumbnail(BytesIO(image_bytes(1600, 900)))
    with Image.open(BytesIO(thumb.read())) as image:
        assert image.format == "JPEG"
        assert image.size == (480, 270)
