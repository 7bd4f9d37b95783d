"""API tokens in the admin (episodes/admin/api.py): the secret shown once, scopes, revoking."""

import re

import pytest
from django.utils import timezone

from episodes.models import ApiToken
from episodes.models.api import hash_secret

from .factories import make_show

pytestmark = pytest.mark.django_db

LIST = "/admin/episodes/apitoken/"
ADD = LIST + "add/"


def shown_secret(response) -> str:
    match = re.search(r'value="(zpd_[A-Za-z0-9_-]+)"', response.text)
    assert match, "the new token's secret is on the page"
    return match.group(1)


class TestCreate:
    def test_the_secret_is_shown_once_and_stored_only_as_a_hash(self, admin_client, client):
        show = make_show(name="毎朝の番組")
        response = admin_client.post(ADD, {"name": "GitHub Actions", "shows": [show.pk]})

        assert response.status_code == 200  # answered straight from the POST: no redirect carries it
        assert "今だけ" in response.text
        assert "毎朝の番組" in response.text
        assert "no-store" in response["Cache-Control"]
        secret = shown_secret(response)
        token = ApiToken.objects.get()
        assert (token.name, list(token.shows.all()), token.all_shows) == ("GitHub Actions", [show], False)
        assert token.token_hash == hash_secret(secret)
        assert not response.cookies.get("messages")

        health = client.get("/api/v1/health", headers={"Authorization": f"Bearer {secret}"})
        assert health.status_code == 200
        for page in (LIST, f"{LIST}{token.pk}/change/"):
            assert secret not in admin_client.get(page).text

    def test_every_show(self, admin_client):
        response = admin_client.post(ADD, {"name": "運用", "all_shows": "on"})
        assert "すべての番組" in response.text
        assert ApiToken.objects.get().all_shows

    def test_a_token_needs_a_scope(self, admin_client):
        make_show()
        response = admin_client.post(ADD, {"name": "どこにも公開できない"})
        assert response.status_code == 200
        assert "「すべての番組」をオンにしてください" in response.text
        assert not ApiToken.objects.exists()

    def test_the_add_form_asks_only_for_name_and_scope(self, admin_client):
        make_show(name="毎朝の番組")
        body = admin_client.get(ADD).text
        assert 'name="name"' in body and 'name="all_shows"' in body and 'name="shows"' in body
        assert "token_hash" not in body and "毎朝の番組" in body


class TestListAndRevoke:
    def test_columns(self, admin_client):
        token, _ = ApiToken.issue(name="GitHub Actions", shows=[make_show(name="毎朝の番組")])
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        ApiToken.issue(name="運用", all_shows=True)
        body = admin_client.get(LIST).text
        for text in ("GitHub Actions", f"{token.hint}…", "毎朝の番組", "すべての番組", "最終使用日時", "有効"):
            assert text in body

    def test_revoke_action(self, admin_client, client):
        token, secret = ApiToken.issue(name="漏れたトークン", all_shows=True)
        keep, _ = ApiToken.issue(name="残すトークン", all_shows=True)
        response = admin_client.post(LIST, {"action": "revoke", "_selected_action": [str(token.pk)]}, follow=True)
        assert "1 件のトークンを無効にしました" in response.text
        token.refresh_from_db()
        keep.refresh_from_db()
        assert token.revoked_at is not None and keep.revoked_at is None

        health = client.get("/api/v1/health", headers={"Authorization": f"Bearer {secret}"})
        assert (health.status_code, health.json()["code"]) == (401, "token_revoked")

    def test_filter_by_state(self, admin_client):
        active, _ = ApiToken.issue(name="有効なもの", all_shows=True)
        revoked, _ = ApiToken.issue(name="無効なもの", all_shows=True)
        ApiToken.objects.filter(pk=revoked.pk).revoke()
        assert list(admin_client.get(LIST + "?state=active").context["cl"].queryset) == [active]
        assert list(admin_client.get(LIST + "?state=revoked").context["cl"].queryset) == [revoked]

    def test_changing_the_scope_keeps_the_secret(self, admin_client, client):
        first, second = make_show(name="一つ目"), make_show(name="二つ目")
        token, secret = ApiToken.issue(name="パイプライン", shows=[first])
        response = admin_client.post(f"{LIST}{token.pk}/change/", {"name": "パイプライン", "shows": [second.pk]})
        assert response.status_code == 302
        token.refresh_from_db()
        assert list(token.shows.all()) == [second]
        assert token.token_hash == hash_secret(secret)
