"""Request bodies are refused by size and caller before anything reads them (issues 12 and 24; episodes/serving/limits.py)."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.test import Client

from episodes.publishing.models import ApiToken
from episodes.serving.limits import Caller, _staff_session, decide, upload_cap

pytestmark = pytest.mark.django_db

HUNDRED_MB = str(100 * 1024 * 1024)


class Untouchable:
    """A WSGI input that fails the test if anything reads from it (the CSRF check, a form, a spooler)."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def post(client, path, length, method="POST", **extra):
    return client.generic(
        method,
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

    @pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "DELETE"])
    def test_every_method_is_limited(self, method):
        """A GET with 600 MB used to pass the limit untouched (issue 24, finding 3)."""
        assert post(Client(), "/search/?q=x", str(600 * 1024 * 1024), method=method).status_code == 413

    @pytest.mark.parametrize("path", ["/api/v1/episodes", "/api/nonexistent", "/api/v1/health"])
    def test_the_api_asks_for_credentials_before_the_body(self, path):
        response = post(Client(), path, str(200 * 1024 * 1024))
        assert response.status_code == 401 and response.json()["code"] == "token_missing"
        assert response["Connection"] == "close"

    def test_a_valid_token_gets_the_upload_cap_and_no_more(self, settings):
        _, secret = ApiToken.issue(name="パイプライン", all_shows=True)
        auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
        too_much = str(upload_cap() + 1)
        response = post(Client(), "/api/v1/episodes", too_much, **auth)
        assert response.status_code == 413 and response.json()["code"] == "upload_too_large"
        revoked, revoked_secret = ApiToken.issue(name="古い", all_shows=True)
        ApiToken.objects.filter(pk=revoked.pk).revoke()
        response = post(Client(), "/api/v1/episodes", too_much, HTTP_AUTHORIZATION=f"Bearer {revoked_secret}")
        assert response.json()["code"] == "token_revoked"


class TestWhatFits:
    def test_a_full_letter_in_japanese_fits(self, settings):
        # 2,000 characters of kana, percent-encoded, plus the other fields.
        response = Client().post(
            "/letters/", {"radio_name": "あ" * 40, "message": "あ" * 2000, "consent_to_air": "on", "website": ""}
        )
        assert response.status_code != 413

    def test_limits_by_route_and_caller(self, settings):
        _, secret = ApiToken.issue(name="パイプライン", all_shows=True)
        upload = settings.MAX_UPLOAD_BYTES + 1024 * 1024
        assert upload_cap() == upload
        for path, authorization, staff, expected in [
            ("/letters/", "", True, settings.LETTERS_MAX_BODY_BYTES),
            ("/api/v1/episodes", f"Bearer {secret}", False, upload),
            ("/api/v1/openapi.json", "", False, settings.PUBLIC_MAX_BODY_BYTES),
            ("/admin/catalogue/episode/add/", "", True, upload),
            ("/admin/catalogue/episode/add/", "", False, settings.PUBLIC_MAX_BODY_BYTES),
        ]:
            refusal, limit = decide(path, None, Caller(authorization, lambda staff=staff: staff))
            assert refusal is None and limit == expected, path

    def test_a_small_body_asks_nobody_who_sends_it(self, django_assert_num_queries):
        def never():
            raise AssertionError("is_staff asked for a small body")

        with django_assert_num_queries(0):
            assert decide("/search/", 1000, Caller("", never)) == (None, 64 * 1024)


def asgi(scope_path: str, *, headers=(), chunks=(), method="POST"):
    """Drive `make run`'s ASGI application: what it sent, and how many body bytes it asked for."""
    from zundapod.asgi import application

    sent, pending = [], list(chunks)
    asked = {"bytes": 0, "calls": 0}

    async def receive():
        asked["calls"] += 1
        if pending:
            body = pending.pop(0)
            asked["bytes"] += len(body)
            return {"type": "http.request", "body": body, "more_body": bool(pending)}
        await asyncio.sleep(30)  # the client keeps the connection open
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": scope_path,
        "raw_path": scope_path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    async_to_sync(application)(scope, receive, send)
    start = next(message for message in sent if message["type"] == "http.response.start")
    body = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), body, asked


@pytest.mark.django_db(transaction=True)
class TestUnderAsgi:
    """`make run` serves ASGI, where Django reads the whole body into a temporary file before any middleware."""

    def test_100_mb_to_the_letters_form_is_413_before_any_byte_is_asked_for(self):
        status, headers, body, asked = asgi("/letters/", headers=[(b"content-length", HUNDRED_MB.encode())])
        assert status == 413 and "大きすぎます" in body.decode()
        assert asked["calls"] == 0

    def test_the_api_gets_its_json_413(self, settings):
        _, secret = ApiToken.issue(name="パイプライン", all_shows=True)
        length = str(settings.MAX_UPLOAD_BYTES + 2 * 1024 * 1024).encode()
        auth = (b"authorization", f"Bearer {secret}".encode())
        status, headers, body, asked = asgi("/api/v1/episodes", headers=[(b"content-length", length), auth])
        assert status == 413 and json.loads(body)["code"] == "upload_too_large"
        assert headers[b"content-type"] == b"application/json" and asked["calls"] == 0

    @pytest.mark.parametrize("path", ["/api/v1/episodes", "/api/nonexistent"])
    def test_the_api_answers_401_before_asking_for_a_byte(self, path):
        length = (b"content-length", str(200 * 1024 * 1024).encode())
        for auth in ([], [(b"authorization", b"Bearer zpd_forged")]):
            status, headers, body, asked = asgi(path, headers=[length, *auth])
            assert status == 401 and asked["calls"] == 0, auth
            assert headers[b"connection"] == b"close"

    def test_a_get_with_600_mb_is_413_before_asking_for_a_byte(self):
        length = (b"content-length", str(600 * 1024 * 1024).encode())
        status, headers, _, asked = asgi("/search/", headers=[length], method="GET")
        assert status == 413 and asked["calls"] == 0

    def test_a_chunked_get_is_cut_off_too(self, settings):
        chunks = [b"x" * 4096] * 64
        status, _, _, asked = asgi("/", headers=[(b"transfer-encoding", b"chunked")], chunks=chunks, method="GET")
        assert status == 413
        assert asked["bytes"] <= settings.PUBLIC_MAX_BODY_BYTES + 4096

    def test_a_chunked_body_is_cut_off_past_the_limit(self, settings):
        chunks = [b"x" * 4096] * 64  # 256 KB without a Content-Length
        status, _, _, asked = asgi("/letters/", headers=[(b"transfer-encoding", b"chunked")], chunks=chunks)
        assert status == 413
        assert asked["bytes"] <= settings.LETTERS_MAX_BODY_BYTES + 4096

    def test_a_small_post_goes_through(self):
        body = b"radio_name=a&message=b"
        status, _, _, _ = asgi("/letters/", headers=[(b"content-length", str(len(body)).encode())], chunks=[body])
        assert status in (200, 302, 403)  # the form's own answer (here the CSRF check)

    def test_staff_sessions_are_recognised(self):
        staff = User.objects.create_user("staff", password="pw", is_staff=True)
        listener = User.objects.create_user("listener", password="pw")
        for user, expected in ((staff, True), (listener, False)):
            client = Client()
            client.force_login(user)
            cookie = f"sessionid={client.cookies['sessionid'].value}".encode()
            assert _staff_session({b"cookie": cookie}) is expected
        assert _staff_session({}) is False
        assert _staff_session({b"cookie": b"sessionid=forged"}) is False

    def test_a_malformed_cookie_before_the_session_neither_hides_it_nor_fails(self):
        """Browsers send odd pairs; http.cookies missed the session after them, or raised (a 500)."""
        staff = User.objects.create_user("staff", password="pw", is_staff=True)
        client = Client()
        client.force_login(staff)
        session = client.cookies["sessionid"].value
        for odd in ('a=b"c', "a=1;;; b", "{=x"):
            assert _staff_session({b"cookie": f"{odd}; sessionid={session}".encode()}) is True
