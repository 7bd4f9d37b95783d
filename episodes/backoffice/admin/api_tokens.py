"""API tokens for the production pipeline: create (the secret is shown once), scope, revoke."""

from django import forms
from django.contrib import admin, messages
from django.template import engines
from django.template.response import TemplateResponse
from django.urls import reverse

from episodes.publishing.models import ApiToken

# The page that shows a new token's secret, answered straight from the add form's POST: the secret
# is never put in a redirect, a message cookie or the session, and never shown again.
TOKEN_CREATED = engines["django"].from_string(
    """{% extends "admin/base_site.html" %}
{% block title %}API トークンを作成しました | {{ site_title }}{% endblock title %}
{% block content %}
<h1>API トークン「{{ token.name }}」を作成しました</h1>
<p>このトークンは<strong>今だけ</strong>表示されます。パイプラインの秘密の設定（例: GitHub Actions の Secrets）に
保存してください。サーバーにはハッシュしか残らないため、あとから確かめることはできません。</p>
<p><input type="text" readonly value="{{ secret }}" size="64" aria-label="API トークン"></p>
<p>公開できる番組: {{ scope }}</p>
<p><a href="{{ list_url }}">API トークンの一覧へ</a></p>
{% endblock content %}"""
)


# A token adds and overwrites episodes: only someone who may do both can hand one out.
EPISODE_WRITE_PERMISSIONS = ("catalogue.add_episode", "catalogue.change_episode")
SCOPE_FIELDS = ("all_shows", "shows")


def may_set_scope(user, token: ApiToken | None) -> bool:
    """Whether the user may choose which shows a token (new, or this one) publishes to."""
    if not user.has_perms(EPISODE_WRITE_PERMISSIONS):
        return False
    # Narrowing an all-shows token is still changing what it may do: superusers only.
    return not (token is not None and token.all_shows and not user.is_superuser)


class ApiTokenForm(forms.ModelForm):
    # Who is saving: set by ApiTokenAdmin.get_form.
    user = None

    class Meta:
        model = ApiToken
        fields = ["name", "all_shows", "shows"]
        widgets = {"shows": forms.CheckboxSelectMultiple}

    def clean(self):
        cleaned = super().clean()
        if "shows" not in self.fields:  # the scope is read-only for this user: it stays as it is
            return cleaned
        if cleaned.get("all_shows") and not self.user.is_superuser:
            raise forms.ValidationError("すべての番組に公開できるトークンはスーパーユーザーだけが作れます。")
        if not cleaned.get("all_shows") and not cleaned.get("shows"):
            raise forms.ValidationError("公開できる番組を選ぶか、「すべての番組」をオンにしてください。")
        return cleaned


class StateFilter(admin.SimpleListFilter):
    title = "状態"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "有効"), ("revoked", "無効")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


def scope_display(token: ApiToken) -> str:
    if token.all_shows:
        return "すべての番組"
    return "、".join(show.name for show in token.shows.all()) or "なし"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    form = ApiTokenForm
    list_display = ["name", "hint_display", "scope", "created_at", "last_used_at", "state"]
    list_filter = [StateFilter]
    search_fields = ["name", "hint"]
    readonly_fields = ["hint_display", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("shows")

    def has_add_permission(self, request):
        return super().has_add_permission(request) and request.user.has_perms(EPISODE_WRITE_PERMISSIONS)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not may_set_scope(request.user, obj):
            readonly += SCOPE_FIELDS
        elif not request.user.is_superuser:
            readonly.append("all_shows")
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "all_shows", "shows"]
        return ["name", "hint_display", "all_shows", "shows", "created_at", "last_used_at", "revoked_at"]

    @admin.display(description="トークン")
    def hint_display(self, obj):
        return f"{obj.hint}…"

    @admin.display(description="公開できる番組")
    def scope(self, obj):
        return scope_display(obj)

    @admin.display(description="状態", ordering="revoked_at")
    def state(self, obj):
        return "有効" if obj.is_active else "無効"

    @admin.action(description="選んだトークンを無効にする", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.revoke()
        self.message_user(request, f"{count} 件のトークンを無効にしました。", messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        if not change:
            obj._secret = obj.new_secret()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "token": obj,
            "secret": obj._secret,
            "scope": scope_display(obj),
            "list_url": reverse(f"{self.admin_site.name}:publishing_apitoken_changelist"),
        }
        return TemplateResponse(request, TOKEN_CREATED, context)
