"""The admin login waits after repeated failures, per user name and address and per address (episodes/backoffice/login_throttle.py).

Issue 12, finding 13: 50 wrong passwords in 16 seconds, then the right one worked.
Attempts are rows in the test's own database (axes' database handler), so no
lockout outlives its test.
"""

import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.utils import timezone

from episodes.backoffice.login_throttle import client_ip, failures_for_name
from episodes.backoffice.login_throttle import slowdown_key as key_for

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "a-long-test-password-42"


@pytest.fixture
def editors(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # many logins, quickly
    for name in ("editor", "other"):
        django_user_model.objects.create_superuser(name, f"{name}@example.com", PASSWORD)


def attempt(username: str, password: str, address: str = "192.0.2.1"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password, "next": "/admin/"})
    return response, client


def logged_in(client) -> bool:
    return client.get("/admin/").status_code == 200


class TestThrottle:
    def test_the_right_password_waits_after_too_many_wrong_ones(self, editors, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            response, _ = attempt("editor", "wrong")
            assert response.status_code == 200  # the login form again, with its error
        assert attempt("editor", "wrong")[0].status_code == 429  # the failure that reaches the limit

        response, client = attempt("editor", PASSWORD)

        assert response.status_code == 429
        assert "ログインを一時的に止めています" in response.text
        assert "15 分ほど" in response.text
        assert response["Retry-After"] == "900"
        assert not logged_in(client)

    def test_a_name_is_locked_from_the_address_that_failed(self, editors, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt("editor", "wrong", address="198.51.100.1")

        assert attempt("editor", PASSWORD, address="198.51.100.1")[0].status_code == 429
        response, client = attempt("editor", PASSWORD, address="203.0.113.9")
        assert response.status_code == 302 and logged_in(client)

    def test_a_stranger_cannot_lock_a_name_from_many_addresses(self, editors, settings):
        """Five failures from five addresses locked the name, and the right password counted as a sixth (issue 24, 8)."""
        for n in range(settings.AXES_FAILURE_LIMIT):
            attempt("editor", "wrong", address=f"198.51.100.{n + 1}")

        response, client = attempt("editor", PASSWORD, address="203.0.113.9")

        assert response.status_code == 302 and logged_in(client)
        assert not AccessAttempt.objects.filter(ip_address="203.0.113.9").exists()


class TestGlobalSlowdown:
    """Past LOGIN_NAME_SLOWDOWN_AFTER failures for a name from all addresses: one check per interval, no lock."""

    @pytest.fixture
    def flooded(self, editors, settings):
        settings.LOGIN_NAME_SLOWDOWN_AFTER = 8
        for n in range(settings.LOGIN_NAME_SLOWDOWN_AFTER):
            attempt("editor", "wrong", address=f"198.51.100.{n + 1}")
        cache.delete_many([key_for("editor")])
        yield
        cache.delete_many([key_for("editor")])

    def test_the_right_password_from_a_new_address_still_works(self, flooded):
        response, client = attempt("editor", PASSWORD, address="203.0.113.9")
        assert response.status_code == 302 and logged_in(client)

    def test_a_second_attempt_within_the_interval_waits_and_is_not_counted(self, flooded, settings):
        attempt("editor", "wrong", address="203.0.113.1")  # takes the interval's one check
        before = failures_for_name("editor")

        response, client = attempt("editor", PASSWORD, address="203.0.113.2")

        assert response.status_code == 429 and response["Retry-After"] == str(settings.LOGIN_NAME_SLOWDOWN_SECONDS)
        assert "秒ほど待って" in response.text and not logged_in(client)
        assert failures_for_name("editor") == before
        cache.delete(key_for("editor"))  # the interval has passed
        response, client = attempt("editor", PASSWORD, address="203.0.113.2")
        assert response.status_code == 302 and logged_in(client)

    def test_other_names_are_not_slowed(self, flooded):
        attempt("editor", "wrong", address="203.0.113.1")
        response, client = attempt("other", PASSWORD, address="203.0.113.2")
        assert response.status_code == 302 and logged_in(client)

    def test_per_address_whatever_the_user_name(self, editors, settings):
        for n in range(settings.AXES_FAILURE_LIMIT):
            attempt(f"guess{n}", "wrong", address="192.0.2.50")

        assert attempt("other", PASSWORD, address="192.0.2.50")[0].status_code == 429
        response, client = attempt("other", PASSWORD, address="192.0.2.51")
        assert response.status_code == 302 and logged_in(client)

    def test_the_wait_ends(self, editors, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt("editor", "wrong")
        AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1))

        response, client = attempt("editor", PASSWORD)

        assert response.status_code == 302 and logged_in(client)

    def test_fewer_failures_then_success_starts_the_count_again(self, editors, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            attempt("editor", "wrong")
        assert attempt("editor", PASSWORD)[0].status_code == 302
        for _ in range(settings.AXES_FAILURE_LIMIT - 1):
            attempt("editor", "wrong")

        assert attempt("editor", PASSWORD)[0].status_code == 302

    @pytest.mark.parametrize("run", [1, 2])
    def test_no_lockout_outlives_its_test(self, editors, settings, run):
        assert not AccessAttempt.objects.exists()
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt("editor", "wrong")
        assert attempt("editor", PASSWORD)[0].status_code == 429

    def test_a_forwarded_header_does_not_change_the_address(self, editors, settings):
        client = Client(REMOTE_ADDR="192.0.2.7")
        for n in range(settings.AXES_FAILURE_LIMIT):
            client.post(
                LOGIN, {"username": f"guess{n}", "password": "wrong"}, headers={"X-Forwarded-For": f"10.0.0.{n}"}
            )

        assert attempt("other", PASSWORD, address="192.0.2.7")[0].status_code == 429


def test_a_login_without_an_address_is_counted_under_none_not_a_made_up_one():
    """axes looks the address up in an inet column on PostgreSQL: "unknown" would fail every such login."""
    assert client_ip(RequestFactory().get("/admin/login/", REMOTE_ADDR="")) is None
    assert client_ip(RequestFactory().get("/admin/login/", REMOTE_ADDR="192.0.2.7")) == "192.0.2.7"


class TestInJapanese:
    """axes ships no Japanese: its admin pages and labels come from episodes/locale/ja and episodes.backoffice.apps.AxesConfig."""

    ENGLISH = ("Axes", "Access attempt", "Access failure", "Attempt Time", "Failed Logins", "Locked Out", "User Agent")

    def test_the_lockout_page_is_japanese(self, editors, settings):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            attempt("editor", "wrong")
        response = attempt("editor", PASSWORD)[0]
        assert response.status_code == 429
        page = response.content.decode()
        assert "ログインを一時的に止めています" in page
        assert "Account locked" not in page

    @pytest.mark.parametrize(
        "path",
        [
            "/admin/",
            "/admin/axes/",
            "/admin/axes/accessattempt/",
            "/admin/axes/accessfailurelog/",
        ],
    )
    def test_axes_admin_pages_have_no_english_labels(self, editors, settings, path):
        for _ in range(2):
            attempt("editor", "wrong")
        client = Client()
        client.force_login(django_user("editor"))
        response = client.get(path)
        assert response.status_code == 200
        page = response.content.decode()
        assert "ログイン制限" in page
        for word in self.ENGLISH:
            assert f">{word}" not in page, word

    def test_an_attempt_page_names_its_fields_in_japanese(self, editors):
        attempt("editor", "wrong")
        client = Client()
        client.force_login(django_user("editor"))
        row = AccessAttempt.objects.get(username="editor")
        page = client.get(f"/admin/axes/accessattempt/{row.pk}/change/").content.decode()
        for label in ("失敗回数", "フォームの内容", "接続の情報", "IP アドレス", "ユーザー名"):
            assert label in page

    def test_the_backoffice_app_keeps_its_own_config(self):
        """Two AppConfig classes in backoffice/apps.py: Django must still pick BackofficeConfig for the app."""
        from django.apps import apps

        from episodes.backoffice.apps import BackofficeConfig

        assert type(apps.get_app_config("backoffice")) is BackofficeConfig
        assert apps.get_app_config("axes").verbose_name == "ログイン制限"

    def test_the_compiled_catalogue_matches_its_source(self, tmp_path):
        """The .mo is committed (deploys need no gettext); it must be the .po compiled."""
        msgfmt = shutil.which("msgfmt")
        if msgfmt is None:
            pytest.skip("GNU gettext (msgfmt) is not installed")
        folder = Path(__file__).resolve().parents[2] / "episodes" / "backoffice" / "locale" / "ja" / "LC_MESSAGES"
        built = tmp_path / "django.mo"
        subprocess.run([msgfmt, "-o", str(built), str(folder / "django.po")], check=True)
        assert built.read_bytes() == (folder / "django.mo").read_bytes()


def django_user(name: str):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)
