"""API tokens in the admin (episodes/backoffice/admin/api_tokens.py): the secret shown once, scopes, revoking."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from episodes.backoffice.admin.api_tokens import ApiTokenForm
from episodes.publishing.models import ApiToken
from episodes.publishing.models.api import hash_secret
from tests.factories import make_show

pytestmark = pytest.mark.django_db

LIST = "/admin/publishing/apitoken/"
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


def staff_client(django_user_model, *codenames) -> Client:
    user = django_user_model.objects.create_user(username="staff-" + "-".join(codenames), is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


TOKEN_PERMISSIONS = ("view_apitoken", "add_apitoken", "change_apitoken")
EDITOR = (*TOKEN_PERMISSIONS, "add_episode", "change_episode")


class TestNoMoreThanTheCreatorMay:
    """Issue 12, finding 9: a staff user allowed only to add tokens made an all-shows token."""

    def test_token_permissions_alone_cannot_create_a_token(self, django_user_model):
        client = staff_client(django_user_model, *TOKEN_PERMISSIONS)

        assert client.get(ADD).status_code == 403
        assert client.post(ADD, {"name": "乗っ取り", "all_shows": "on"}).status_code == 403
        assert not ApiToken.objects.exists()

    def test_only_a_superuser_creates_an_all_shows_token(self, django_user_model):
        show = make_show()
        client = staff_client(django_user_model, *EDITOR)

        response = client.post(ADD, {"name": "全部", "all_shows": "on"})

        assert response.status_code == 200
        assert not ApiToken.objects.exists()  # all_shows is read-only for them: the token still needs a show
        response = client.post(ADD, {"name": "毎朝", "all_shows": "on", "shows": [show.pk]})
        token = ApiToken.objects.get()
        assert (token.all_shows, list(token.shows.all())) == (False, [show])

    def test_the_form_refuses_all_shows_from_a_non_superuser(self, django_user_model):
        user = django_user_model.objects.create_user(username="editor", is_staff=True)
        form = type("Form", (ApiTokenForm,), {"user": user})(data={"name": "全部", "all_shows": "on"})

        assert not form.is_valid()
        assert "スーパーユーザーだけ" in str(form.errors)

    def test_widening_a_token_needs_episode_permissions(self, django_user_model):
        daily, other = make_show(), make_show()
        token, _ = ApiToken.issue(name="毎朝", shows=[daily])
        client = staff_client(django_user_model, *TOKEN_PERMISSIONS)

        client.post(f"{LIST}{token.pk}/change/", {"name": "毎朝", "all_shows": "on", "shows": [daily.pk, other.pk]})

        token.refresh_from_db()
        assert (token.all_shows, list(token.shows.all())) == (False, [daily])

    def test_editors_may_change_shows_but_not_to_all_shows(self, django_user_model):
        daily, other = make_show(), make_show()
        token, _ = ApiToken.issue(name="毎朝", shows=[daily])
        client = staff_client(django_user_model, *EDITOR)

        client.post(f"{LIST}{token.pk}/change/", {"name": "毎朝", "all_shows": "on", "shows": [other.pk]})

        token.refresh_from_db()
        assert (token.all_shows, list(token.shows.all())) == (False, [other])

    def test_an_all_shows_tokens_scope_is_for_superusers(self, django_user_model, admin_client):
        daily = make_show()
        token, _ = ApiToken.issue(name="運用", all_shows=True)
        client = staff_client(django_user_model, *EDITOR)

        client.post(f"{LIST}{token.pk}/change/", {"name": "改名", "shows": [daily.pk]})

        token.refresh_from_db()
        assert (token.name, token.all_shows, list(token.shows.all())) == ("改名", True, [])
        admin_client.post(f"{LIST}{token.pk}/change/", {"name": "改名", "shows": [daily.pk]})
        token.refresh_from_db()
        assert (token.all_shows, list(token.shows.all())) == (False, [daily])


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
