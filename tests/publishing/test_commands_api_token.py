"""`create_api_token`: a token for scripts and operators, printed once."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from episodes.publishing.models import ApiToken
from episodes.publishing.models.api import hash_secret
from tests.factories import make_show

pytestmark = pytest.mark.django_db


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


class TestCreateApiToken:
    def test_prints_only_the_secret_on_stdout(self, client):
        daily, weekly = make_show(slug="daily", name="毎朝の番組"), make_show(slug="weekly", name="週末の番組")
        out, err = run("GitHub Actions", "--show", "daily", "weekly")

        secret = out.strip()
        assert out == secret + "\n" and secret.startswith("zpd_")
        assert "毎朝の番組、週末の番組" in err and "二度と表示されません" in err
        token = ApiToken.objects.get()
        assert token.name == "GitHub Actions"
        assert token.token_hash == hash_secret(secret)
        assert set(token.shows.all()) == {daily, weekly}
        assert not token.all_shows
        response = client.get("/api/v1/health", headers={"Authorization": f"Bearer {secret}"})
        assert response.json()["token"]["name"] == "GitHub Actions"

    def test_show_may_be_repeated(self):
        make_show(slug="daily")
        make_show(slug="weekly")
        run("ci", "--show", "daily", "--show", "weekly", "--show", "daily")
        assert ApiToken.objects.get().shows.count() == 2

    def test_all_shows(self):
        out, err = run("運用", "--all-shows")
        assert ApiToken.objects.get().all_shows
        assert "すべての番組" in err

    def test_every_call_makes_a_new_secret(self):
        first, _ = run("ci", "--all-shows")
        second, _ = run("ci", "--all-shows")
        assert first != second
        assert ApiToken.objects.count() == 2

    def test_unknown_show_creates_nothing(self):
        make_show(slug="daily")
        with pytest.raises(CommandError, match="その番組はありません: nope"):
            run("ci", "--show", "daily", "nope")
        assert not ApiToken.objects.exists()

    def test_a_scope_is_required(self):
        with pytest.raises(CommandError, match="--show --all-shows"):
            run("ci")
        with pytest.raises(CommandError):
            run("ci", "--all-shows", "--show", "daily")
        assert not ApiToken.objects.exists()

    def test_dry_run_writes_and_prints_no_secret(self):
        make_show(slug="daily", name="毎朝の番組")
        out, err = run("ci", "--show", "daily", "--dry-run")
        assert out == ""
        assert "--dry-run" in err and "毎朝の番組" in err
        assert not ApiToken.objects.exists()

    def test_quiet(self):
        out, err = run("ci", "--all-shows", "-v", "0")
        assert out.startswith("zpd_") and err == ""

    def test_blank_name(self):
        with pytest.raises(CommandError, match="名前"):
            run("  ", "--all-shows")
