"""The letters inbox (お便り): read, pick, air, archive, export.

Everything here prints text a stranger wrote, so it goes through the admin's
own escaping (or `format_html`), never `mark_safe`; the CSV guards against
spreadsheet formulas.
"""

import csv
import io
import unicodedata

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from episodes.backoffice.admin.dates import SaneDateFiltersMixin
from episodes.catalogue.models import Episode, SiteRevision
from episodes.letters.models import Letter

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A value safe to open in Excel: formula-looking text gets a leading apostrophe.

    Full-width ＝＋－＠ count too (NFKC folds them), as Japanese input produces them.
    """
    text = "" if value is None else str(value)
    if text and unicodedata.normalize("NFKC", text[0]).startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


CSV_COLUMNS = [
    ("ID", lambda letter: letter.pk),
    ("受信日時", lambda letter: timezone.localtime(letter.received_at).strftime("%Y-%m-%d %H:%M:%S")),
    ("状態", lambda letter: letter.get_status_display()),
    ("ラジオネーム", lambda letter: letter.radio_name),
    ("メッセージ", lambda letter: letter.message),
    ("番組", lambda letter: letter.show.name if letter.show else ""),
    ("話題のエピソード", lambda letter: letter.episode.number if letter.episode else ""),
    ("紹介したエピソード", lambda letter: letter.aired_in.number if letter.aired_in else ""),
    ("放送で読まれてもよい", lambda letter: "はい" if letter.consent_to_air else "いいえ"),
    ("返信用メールアドレス", lambda letter: letter.email),
    ("スタッフメモ", lambda letter: letter.staff_memo),
]


def csv_bytes(header, rows) -> bytes:
    """A table as CSV in UTF-8 with a BOM, so Excel reads the Japanese; every cell made formula-safe."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
    return "\ufeff".encode() + out.getvalue().encode()


def letters_csv(letters) -> bytes:
    """The letters as CSV (see csv_bytes)."""
    return csv_bytes(
        [title for title, _ in CSV_COLUMNS], ([value(letter) for _, value in CSV_COLUMNS] for letter in letters)
    )


# Episodes offered when marking letters aired: the most recent ones (the select stays short).
AIRED_IN_CHOICES = 60


def default_aired_in(letters) -> Episode | None:
    """The latest public episode of the letters' show (of any show when they name none or several)."""
    shows = {letter.show_id for letter in letters}
    episodes = Episode.objects.published().order_by("-published_at")
    if len(shows) == 1 and None not in shows:
        return episodes.filter(show_id=shows.pop()).first() or episodes.first()
    return episodes.first()


class AiredInForm(forms.Form):
    """The episode the selected letters were read in."""

    aired_in = forms.ModelChoiceField(
        queryset=Episode.objects.none(),
        label="紹介したエピソード",
        empty_label=None,
        error_messages={
            "required": "エピソードを選んでください。",
            "invalid_choice": "エピソードは一覧から選んでください。",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        recent = Episode.objects.order_by("-published_at").values_list("pk", flat=True)[:AIRED_IN_CHOICES]
        self.fields["aired_in"].queryset = (
            Episode.objects.filter(pk__in=list(recent)).select_related("show").order_by("-published_at")
        )


@admin.register(Letter)
class LetterAdmin(SaneDateFiltersMixin, admin.ModelAdmin):
    """The inbox: letters arrive from the public form only; staff read, pick, air and archive them."""

    class Media:
        css = {"all": ["css/admin_lists.css"]}  # filter links of a usable size (issue 25)

    list_display = ["status", "radio_name", "message_first_line", "show", "received_at", "consent_to_air", "can_reply"]
    list_display_links = ["radio_name", "message_first_line"]
    list_filter = ["status", "show", "received_at", "consent_to_air"]
    list_select_related = ["show"]
    search_fields = ["radio_name", "message"]
    date_hierarchy = "received_at"
    ordering = ["-received_at"]
    # 削除 (Django's delete_selected) is put last by get_actions: the destructive one is never the first choice.
    actions = ["mark_read", "pick", "mark_aired", "archive", "export_csv"]
    autocomplete_fields = ["aired_in"]
    readonly_fields = [
        "radio_name",
        "message",
        "episode",
        "reply_to",
        "consent_to_air",
        "received_at",
        "notified_at",
        "client_hash",
        "same_sender",
    ]
    fieldsets = [
        (
            "お便り",
            {"fields": ["radio_name", "message", "show", "episode", "consent_to_air", "reply_to", "received_at"]},
        ),
        ("スタッフの作業", {"fields": ["status", "aired_in", "staff_memo"]}),
        ("送信元と通知", {"fields": ["client_hash", "same_sender", "notified_at"], "classes": ["collapse"]}),
    ]

    @admin.display(description="メッセージ（1行目）")
    def message_first_line(self, obj):
        return obj.first_line

    @admin.display(description="返信先", boolean=True)
    def can_reply(self, obj):
        return bool(obj.email)

    @admin.display(description="返信用メールアドレス")
    def reply_to(self, obj):
        if not obj.email:
            return "—"
        return format_html('<a href="mailto:{}">{}</a>', obj.email, obj.email)

    @admin.display(description="同じ送信元のお便り")
    def same_sender(self, obj):
        if not obj.client_hash:
            return "—"
        count = Letter.objects.filter(client_hash=obj.client_hash).count()
        url = reverse("admin:letters_letter_changelist") + "?" + urlencode({"client_hash": obj.client_hash})
        return format_html('<a href="{}">{} 件</a>', url, count)

    def lookup_allowed(self, lookup, value, request=None):
        # Abuse review: "every letter from this sender" links filter by the hash.
        return lookup == "client_hash" or super().lookup_allowed(lookup, value, request)

    def has_add_permission(self, request):
        # Letters come from listeners through the public form, never typed in.
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """Opening an unread letter marks it read, as in any inbox."""
        if request.method == "GET" and self.has_change_permission(request):
            letter = self.get_object(request, unquote(object_id))
            if letter is not None and letter.status == Letter.Status.NEW:
                Letter.objects.filter(pk=letter.pk, status=Letter.Status.NEW).update(status=Letter.Status.READ)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description="選んだお便りを既読にする", permissions=["change"])
    def mark_read(self, request, queryset):
        count = queryset.filter(status=Letter.Status.NEW).update(status=Letter.Status.READ)
        self.message_user(request, f"{count} 件を既読にしました。")

    @admin.action(description="選んだお便りを採用する", permissions=["change"])
    def pick(self, request, queryset):
        ready = queryset.filter(status__in=[Letter.Status.NEW, Letter.Status.READ])
        without_consent = ready.filter(consent_to_air=False).count()
        count = ready.update(status=Letter.Status.PICKED)
        skipped = queryset.count() - count
        self._report(
            request,
            f"{count} 件を採用にしました。",
            without_consent
            and f"うち {without_consent} 件は、放送で読まれることに同意していません。読み上げる前にご確認ください。",
            f"放送済み・アーカイブの {skipped} 件はそのままにしました。" if skipped else "",
        )

    def _report(self, request, done: str, *warnings: str) -> None:
        """What an action did, then each warning that applies (an empty one is left out)."""
        self.message_user(request, done)
        for warning in warnings:
            if warning:
                self.message_user(request, warning, level=messages.WARNING)

    def get_actions(self, request):
        actions = super().get_actions(request)
        delete = actions.pop("delete_selected", None)
        if delete is not None:
            actions["delete_selected"] = delete
        return actions

    @admin.action(description="選んだお便りを放送済みにする（紹介したエピソードを選ぶ）", permissions=["change"])
    def mark_aired(self, request, queryset):
        """Asks which episode the letters were read in (default: the latest of their show), then marks them aired."""
        letters = queryset.exclude(status=Letter.Status.ARCHIVED).select_related("show").order_by("received_at")
        if "apply" in request.POST:
            form = AiredInForm(request.POST)
            if form.is_valid():
                episode = form.cleaned_data["aired_in"]
                skipped = queryset.count() - letters.count()
                without_consent = letters.filter(consent_to_air=False).count()
                count = letters.update(status=Letter.Status.AIRED, aired_in=episode)
                if count > without_consent:
                    SiteRevision.bump()  # the episode page now credits them
                self._report(
                    request,
                    f"{count} 件を放送済みにしました（{episode}）。",
                    f"うち {without_consent} 件は読み上げの同意がないため、エピソードのページには名前を出しません。"
                    if without_consent
                    else "",
                    f"アーカイブ済みの {skipped} 件はそのままにしました。" if skipped else "",
                )
                return None
        else:
            form = AiredInForm(initial={"aired_in": default_aired_in(letters)})
        context = {
            **self.admin_site.each_context(request),
            "title": "放送済みにする: 紹介したエピソードを選んでください",
            "opts": self.model._meta,
            "letters": letters,
            "selected": queryset.values_list("pk", flat=True),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/letters/letter/mark_aired.html", context)

    @admin.action(description="選んだお便りをアーカイブする", permissions=["change"])
    def archive(self, request, queryset):
        count = queryset.exclude(status=Letter.Status.ARCHIVED).update(status=Letter.Status.ARCHIVED)
        self.message_user(request, f"{count} 件をアーカイブしました。")

    @admin.action(description="選んだお便りを CSV で書き出す（Excel 対応）", permissions=["view"])
    def export_csv(self, request, queryset):
        letters = queryset.select_related("show", "episode", "aired_in").order_by("received_at", "pk")
        response = HttpResponse(letters_csv(letters), content_type="text/csv; charset=utf-8")
        filename = f"letters-{timezone.localtime():%Y%m%d-%H%M}.csv"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class ShownOnlyFormSet(BaseInlineFormSet):
    """A read-only list in a change form: a POST without it saves the parent as before.

    Browsers send the management form, but scripts and tests written before
    the list existed do not; with nothing editable there is nothing to miss.
    """

    def __init__(self, data=None, *args, prefix=None, **kwargs):
        name = prefix or self.get_default_prefix()
        if data is not None and f"{name}-TOTAL_FORMS" not in data:
            data = data.copy()
            data[f"{name}-TOTAL_FORMS"] = data[f"{name}-INITIAL_FORMS"] = "0"
        super().__init__(data, *args, prefix=prefix, **kwargs)


class AiredLetterInline(admin.TabularInline):
    """On an episode's admin page: the letters read out in it (read-only; edit them in the inbox)."""

    model = Letter
    fk_name = "aired_in"
    formset = ShownOnlyFormSet
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["radio_name", "message_first_line", "consent_to_air", "status", "received_at"]
    readonly_fields = fields
    ordering = ["received_at"]
    verbose_name = "紹介したお便り"
    verbose_name_plural = "この回で紹介したお便り"

    @admin.display(description="メッセージ（1行目）")
    def message_first_line(self, obj):
        return obj.first_line

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
