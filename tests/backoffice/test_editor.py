"""The Markdown editor's endpoints answer staff only (episodes/backoffice/editor.py)."""

import re
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from tests.factories import image_bytes, image_upload

pytestmark = pytest.mark.django_db

PREVIEW = "/markdownx/markdownify/"
UPLOAD = "/markdownx/upload/"
ENDPOINTS = [PREVIEW, UPLOAD]
CSRF_SECRET = "abcdefghijklmnopqrstuvwxyzABCDEF"
SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)
IMAGE_CODE = re.compile(r"!\[\]\((?P<url>[^)]+)\)")
# A fresh random folder per upload, then the file name.
STORED_NAME = re.compile(r"markdown/[0-9a-f]{12}/[^/]+")


@pytest.fixture
def staff(django_user_model):
    """An editor: staff who may change episodes (whose show notes use the editor)."""
    user = django_user_model.objects.create_user(username="editor", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="change_episode"))
    return user


@pytest.fixture
def staff_client(staff) -> Client:
    client = Client()
    client.force_login(staff)
    return client


@pytest.fixture
def user_client(django_user_model) -> Client:
    client = Client()
    client.force_login(django_user_model.objects.create_user(username="listener"))
    return client


def stored_files(settings) -> list[str]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())


def post_to(client: Client, endpoint: str, **extra):
    """A request each endpoint would accept from staff."""
    if endpoint == PREVIEW:
        return client.post(endpoint, {"content": "**太字**"}, **extra)
    return client.post(endpoint, {"image": image_upload("photo.png")}, **extra)


def assert_refused(response):
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert urlsplit(response["Location"]).path == reverse("admin:login")


def stored_name(response) -> str:
    """The storage name behind the returned Markdown image code."""
    match = IMAGE_CODE.fullmatch(response.json()["image_code"])
    assert match, response.json()
    url = match["url"]
    assert url.startswith(default_storage.base_url), url
    name = unquote(url.removeprefix(default_storage.base_url))
    assert STORED_NAME.fullmatch(name), name
    assert default_storage.url(name) == url
    return name


class TestAccess:
    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_anonymous_is_refused(self, settings, endpoint):
        response = post_to(Client(), endpoint)

        assert_refused(response)
        assert "<strong>太字</strong>" not in response.content.decode()
        assert stored_files(settings) == []

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_anonymous_is_sent_to_the_admin_login(self, endpoint):
        response = post_to(Client(), endpoint)

        assert response.status_code == 302
        location = urlsplit(response["Location"])
        assert location.path == reverse("admin:login")
        assert parse_qs(location.query) == {"next": [endpoint]}

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_logged_in_non_staff_is_refused(self, settings, user_client, endpoint):
        response = post_to(user_client, endpoint)

        assert_refused(response)
        assert "<strong>太字</strong>" not in response.content.decode()
        assert stored_files(settings) == []

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_inactive_staff_is_refused(self, settings, staff, endpoint):
        staff.is_active = False
        staff.save()
        client = Client()
        client.force_login(staff)

        response = post_to(client, endpoint)

        assert_refused(response)
        assert stored_files(settings) == []

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_staff_is_answered(self, staff_client, endpoint):
        response = post_to(staff_client, endpoint)

        assert response.status_code == 200

    def test_staff_without_permissions_cannot_upload(self, settings, django_user_model):
        """Issue 12, finding 11: any staff account could store images through the editor."""
        client = Client()
        client.force_login(django_user_model.objects.create_user(username="intern", is_staff=True))

        response = post_to(client, UPLOAD)

        assert response.status_code == 403
        assert "権限がありません" in response.json()["image"][0]
        assert stored_files(settings) == []

    @pytest.mark.parametrize("codename", ["add_episode", "change_actor", "change_linkedarticle"])
    def test_any_model_with_markdown_fields_allows_uploading(self, django_user_model, codename):
        user = django_user_model.objects.create_user(username="writer", is_staff=True)
        user.user_permissions.add(Permission.objects.get(codename=codename))
        client = Client()
        client.force_login(user)

        assert post_to(client, UPLOAD).status_code == 200

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    @pytest.mark.parametrize("who", ["anonymous", "user", "staff"])
    def test_get_is_not_allowed(self, request, endpoint, who):
        client = {
            "anonymous": Client,
            "user": lambda: request.getfixturevalue("user_client"),
            "staff": lambda: request.getfixturevalue("staff_client"),
        }[who]()

        response = client.get(endpoint)

        assert response.status_code == 405
        assert response["Allow"] == "POST"


class TestCsrf:
    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_staff_post_without_token_is_forbidden(self, settings, staff, endpoint):
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff)

        response = post_to(client, endpoint)

        assert response.status_code == 403
        assert "<strong>太字</strong>" not in response.content.decode()
        assert stored_files(settings) == []

    @pytest.mark.parametrize("endpoint", ENDPOINTS)
    def test_staff_post_with_token_is_answered(self, staff, endpoint):
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff)
        client.cookies["csrftoken"] = CSRF_SECRET

        response = post_to(client, endpoint, headers={"X-CSRFToken": CSRF_SECRET})

        assert response.status_code == 200


class TestPreview:
    def test_renders_markdown(self, staff_client):
        response = staff_client.post(PREVIEW, {"content": "# 見出し\n\n**太字** と [リンク](https://example.com/)"})

        assert response.status_code == 200
        assert response["Content-Type"] == "text/html; charset=utf-8"
        html = response.content.decode()
        assert "<h1>見出し</h1>" in html
        assert "<strong>太字</strong>" in html
        assert '<a href="https://example.com/" rel="noopener noreferrer nofollow">リンク</a>' in html

    @pytest.mark.parametrize("content", ["", "   \n"])
    def test_empty_content_renders_nothing(self, staff_client, content):
        response = staff_client.post(PREVIEW, {"content": content})

        assert response.status_code == 200
        assert response.content == b""

    @pytest.mark.parametrize(
        ("content", "forbidden"),
        [
            ("<script>alert(1)</script>", "<script"),
            ("<img src=x onerror=alert(1)>", "onerror"),
            ("[x](javascript:alert(1))", "javascript:"),
            ("[x](JaVaScRiPt:alert(1))", "javascript:"),
            ("[x](&#106;avascript:alert(1))", "avascript"),
            ("![x](javascript:alert(1))", "javascript:"),
            ('<a href="javascript:alert(1)">x</a>', "javascript:"),
            ("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "data:"),
            ("<svg onload=alert(1)>", "onload"),
            ('<iframe src="https://example.com/"></iframe>', "<iframe"),
            ('<p style="background:url(javascript:alert(1))">s</p>', "style"),
        ],
    )
    def test_script_never_survives(self, staff_client, content, forbidden):
        response = staff_client.post(PREVIEW, {"content": f"**前** {content} **後**"})

        assert response.status_code == 200
        html = response.content.decode()
        # A refused link may stay as escaped text; no tag or attribute may carry the attack.
        markup = " ".join(re.findall(r"<[^>]*>", html)).lower()
        assert forbidden not in markup
        assert "alert" not in markup
        # The safe parts around the attack still render.
        assert "<strong>前</strong>" in html
        assert "<strong>後</strong>" in html


def upload(client: Client, name: str, content: bytes):
    return client.post(UPLOAD, {"image": SimpleUploadedFile(name, content)})


class TestImageUpload:
    def test_png_named_jpg_is_stored_as_png(self, staff_client):
        png = image_bytes(fmt="PNG")

        response = upload(staff_client, "photo.jpg", png)

        assert response.status_code == 200
        name = stored_name(response)
        assert name.endswith("/photo.png")
        assert response.json()["image_code"] == f"![]({default_storage.url(name)})"
        assert default_storage.exists(name)
        with default_storage.open(name, "rb") as fh:
            data = fh.read()
        assert data == png
        with Image.open(BytesIO(data)) as image:
            assert image.format == "PNG"

    def test_jpeg_is_stored_as_jpg(self, staff_client):
        jpeg = image_bytes(fmt="JPEG")

        response = upload(staff_client, "photo.jpg", jpeg)

        assert response.status_code == 200
        name = stored_name(response)
        assert name.endswith("/photo.jpg")
        with default_storage.open(name, "rb") as fh:
            assert fh.read() == jpeg

    @pytest.mark.parametrize(
        ("fmt", "name", "stored"),
        [
            ("JPEG", "photo.png", "photo.jpg"),
            ("JPEG", "photo.jpeg", "photo.jpg"),
            ("GIF", "anim.png", "anim.gif"),
            ("WEBP", "still.jpg", "still.webp"),
            ("PNG", "noextension", "noextension.png"),
            ("PNG", "ずんだもん.jpg", "ずんだもん.png"),
        ],
    )
    def test_stored_under_detected_extension(self, settings, staff_client, fmt, name, stored):
        content = image_bytes(fmt=fmt)

        response = upload(staff_client, name, content)

        assert response.status_code == 200
        stored_as = stored_name(response)
        assert stored_as.endswith(f"/{stored}")
        assert stored_files(settings) == [stored_as]
        with Image.open(settings.MEDIA_ROOT / stored_as) as image:
            assert image.format == fmt

    def test_each_upload_gets_a_fresh_url(self, settings, staff_client):
        first = stored_name(upload(staff_client, "photo.png", image_bytes()))
        second = stored_name(upload(staff_client, "photo.png", image_bytes(color=(0, 0, 0))))

        assert first != second
        assert stored_files(settings) == sorted([first, second])

    @pytest.mark.parametrize(
        ("name", "content"),
        [
            pytest.param("logo.svg", SVG, id="svg"),
            pytest.param("logo.png", SVG, id="svg-named-png"),
            pytest.param("notes.png", "これは画像ではありません\n".encode(), id="text-named-png"),
            pytest.param("photo.png", image_bytes()[:40], id="truncated-png"),
            pytest.param("photo.png", b"", id="empty"),
        ],
    )
    def test_non_images_are_refused(self, settings, staff_client, name, content):
        response = upload(staff_client, name, content)

        assert response.status_code == 400
        assert response.json()["image"]
        assert stored_files(settings) == []

    @pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
    def test_other_image_formats_are_refused(self, settings, staff_client, fmt):
        response = upload(staff_client, "photo.png", image_bytes(fmt=fmt))

        assert response.status_code == 400
        assert fmt in response.json()["image"][0]
        assert stored_files(settings) == []

    def test_too_large_is_refused(self, settings, staff_client):
        png = image_bytes()
        settings.MARKDOWNX_UPLOAD_MAX_SIZE = len(png) - 1

        response = upload(staff_client, "photo.png", png)

        assert response.status_code == 400
        assert response.json()["image"]
        assert stored_files(settings) == []

    def test_missing_file_is_refused(self, settings, staff_client):
        response = staff_client.post(UPLOAD, {})

        assert response.status_code == 400
        assert response.json()["image"]
        assert stored_files(settings) == []
