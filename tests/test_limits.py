"""Request bodies are refused by size before anything reads them (issue 12, finding 7; episodes/limits.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client, RequestFactory

from episodes.limits import body_limit

pytestmark = pytest.mark.django_db

HUNDRED_MB = str(100 * 1024 * 1024)


class Untouchable:
    """A WSGI input that fails the test if anything reads from it (the CSRF check, a form, a spooler)."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post(client, path, length, **extra):
    return client.generic(
        "POST",
        path,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=length,
        **{"wsgi.input": Untouchable()},
        **extra,
    )


class TestRefusedBeforeReading:
    def test_100_mb_to_the_letters_form_is_413_unread(self):
        response = post(Client(enforce_csrf_checks=True), "/letters/", HUNDRED_MB)
        assert response.status_code == 413
        assert "大きすぎます" in response.content.decode()

    @pytest.mark.parametrize("path", ["/", "/search/", "/admin/login/", "/markdownx/upload/", "/episode/1"])
    def test_anonymous_posts_elsewhere_too(self, path):
        assert post(Client(), path, HUNDRED_MB).status_code == 413

    def test_a_length_of_4300_digits(self):
        assert post(Client(), "/letters/", "9" * 4300).status_code == 413

    def test_a_body_without_a_number_is_never_read_by_django(self):
        # Django reads no body without a numeric Content-Length; the middleware lets it through.
        response = Client().generic("POST", "/letters/", b"", CONTENT_LENGTH="abc", **{"wsgi.input": Untouchable()})
        assert response.status_code in (200, 403)

    def test_the_api_answers_for_itself_in_json(self):
        response = post(Client(), "/api/v1/episodes", HUNDRED_MB, HTTP_AUTHORIZATION="Bearer nothing")
        assert response.status_code == 401 and response["Content-Type"] == "application/json"


class TestWhatFits:
    def test_a_full_letter_in_japanese_fits(self, settings):
        # 2,000 characters of kana, percent-encoded, plus the other fields.
        response = Client().post(
            "/letters/", {"radio_name": "あ" * 40, "message": "あ" * 2000, "consent_to_air": "on", "website": ""}
        )
        assert response.status_code != 413

    def test_limits_by_route_and_user(self, settings):
        factory = RequestFactory()
        staff = User(username="s", is_staff=True)
        for path, user, expected in [
            ("/letters/", staff, settings.LETTERS_MAX_BODY_BYTES),
            ("/api/v1/episodes", AnonymousUser(), None),
            ("/admin/episodes/episode/add/", staff, settings.API_MAX_UPLOAD_BYTES + 1024 * 1024),
            ("/admin/episodes/episode/add/", AnonymousUser(), settings.PUBLIC_MAX_BODY_BYTES),
        ]:
            request = factory.post(path)
            request.user = user
            assert body_limit(request) == expected, path
