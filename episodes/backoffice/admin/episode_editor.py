"""The episode form as the station's editor uses it every day.

A new episode starts from the schedule (show, host, date, number, title); three
buttons say what saving means (今すぐ公開 / 予約して保存 / 下書き保存) and the
message after saving says what happened, with a link; errors are listed at the
top, each linking to its field, inline rows included.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin import widgets
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html

from episodes.backoffice.admin.letters import ShownOnlyFormSet
from episodes.catalogue.models import AiringSlot, Episode, Show
from episodes.catalogue.schedule import next_number, next_open_airing

DATE_INPUT_FORMATS = ["%Y/%m/%d", "%Y-%m-%d"]
TIME_INPUT_FORMATS = ["%H:%M:%S", "%H:%M"]

# The submit buttons, by their POST name: what each one makes of the episode.
PUBLISH_NOW, SCHEDULE, DRAFT = "_publish_now", "_schedule", "_draft"
BUTTONS = [(PUBLISH_NOW, "今すぐ公開"), (SCHEDULE, "予約して保存"), (DRAFT, "下書き保存")]


class AiringSlotInline(admin.TabularInline):
    """On a show's page: the weekdays it airs, with their host and time."""

    model = AiringSlot
    # A show POST without the schedule rows (scripts, older tests) leaves the schedule as it is.
    formset = ShownOnlyFormSet
    extra = 0
    fields = ["weekday", "host", "airs_at"]
    autocomplete_fields = ["host"]


def labelled_split_date_time(date_label: str, time_label: str) -> widgets.AdminSplitDateTime:
    """The admin's date + time widget with a name on each input (its own 日付:/時刻: labels point at neither)."""
    widget = widgets.AdminSplitDateTime()
    widget.widgets[0].attrs["aria-label"] = date_label
    widget.widgets[1].attrs["aria-label"] = time_label
    return widget


def publication_field() -> forms.SplitDateTimeField:
    """The publication date and time, typed as 2026/11/30 or 2026-11-30."""
    return forms.SplitDateTimeField(
        label="公開日時",
        input_date_formats=DATE_INPUT_FORMATS,
        input_time_formats=TIME_INPUT_FORMATS,
        widget=labelled_split_date_time("公開日", "公開時刻"),
        help_text="例 2026/11/30 06:00（2026-11-30 でも可）。未来の日時なら予約公開になります。",
        error_messages={"invalid_date": "日付は 2026/11/30 か 2026-11-30 の形で入れてください。"},
    )


def new_episode_initial(requested: dict) -> dict:
    """A new episode: the next open slot of the schedule, its show, the next number, `<show> podcast YYYYMMDD`.

    `requested` (the add page's query string) may name the show and `published_at` (ISO), as the
    dashboard's links do. Without a schedule: the latest episode's show, today's date and now.
    """
    initial = {"number": next_number()}
    airing = next_open_airing()
    if airing is not None:
        initial.update(show=airing.show.pk, published_at=airing.at)
    asked_time = parse_datetime(str(requested.get("published_at", "")))
    if asked_time is not None:
        initial["published_at"] = asked_time if timezone.is_aware(asked_time) else timezone.make_aware(asked_time)
    requested = {key: value for key, value in requested.items() if key != "published_at"}
    asked_show = str(requested.get("show", ""))
    show = Show.objects.filter(pk=int(asked_show) if asked_show.isdigit() else initial.get("show")).first()
    if show is None:
        latest = Episode.objects.select_related("show").order_by("-published_at").first()
        show = latest.show if latest else Show.objects.first()
    if show is not None:
        initial["show"] = show.pk
        day = timezone.localtime(initial["published_at"]).date() if "published_at" in initial else timezone.localdate()
        initial["title"] = show.default_title(day)
    return {**initial, **requested}


def apply_button(data, cleaned: dict, form: forms.Form) -> None:
    """Turn the pressed button into the episode's status (and time, for 今すぐ公開)."""
    now = timezone.now()
    when = cleaned.get("published_at")
    if PUBLISH_NOW in data:
        cleaned["status"] = Episode.Status.PUBLISHED
        if when is None or when > now:
            cleaned["published_at"] = now
    elif SCHEDULE in data:
        cleaned["status"] = Episode.Status.PUBLISHED
        if when is not None and when <= now:
            form.add_error(
                "published_at",
                ValidationError("予約するには未来の日時を入れてください（いますぐなら「今すぐ公開」）。"),
            )
    elif DRAFT in data:
        cleaned["status"] = Episode.Status.DRAFT


def pressed_button(data) -> str | None:
    return next((name for name, _ in BUTTONS if name in data), None)


def saved_message(episode: Episode) -> str:
    """What the editor is told after saving: 公開中 / 予約（日時）/ 下書き, with the public page's link."""
    url = episode.get_absolute_url()
    if episode.publication == "published":
        return format_html('「{}」を公開しました（公開中）。<a href="{}">公開ページを見る</a>', episode.title, url)
    if episode.publication == "scheduled":
        when = timezone.localtime(episode.published_at)
        return format_html(
            '「{}」を予約しました（{} に公開）。<a href="{}">公開ページ（スタッフだけに表示）</a>',
            episode.title,
            f"{when:%Y/%m/%d %H:%M}",
            url,
        )
    return format_html(
        '「{}」を下書きとして保存しました（公開されていません）。<a href="{}">ページを確認（スタッフだけに表示）</a>',
        episode.title,
        url,
    )


@dataclass(frozen=True)
class ErrorLink:
    """One line of the error summary: where, what, and the element to jump to."""

    where: str
    message: str
    anchor: str


def _form_errors(form, where_prefix: str, row_anchor: str) -> list[ErrorLink]:
    links = []
    for name, errors in form.errors.items():
        if name == forms.forms.NON_FIELD_ERRORS or name not in form.fields:
            anchor, label = row_anchor, ""
        else:
            field = form[name]
            anchor = field.auto_id + ("_0" if isinstance(field.field, forms.MultiValueField) else "")
            label = str(field.label)
        where = " ".join(part for part in (where_prefix, label) if part) or "全体"
        links.extend(ErrorLink(where=where, message=str(message), anchor=anchor) for message in errors)
    return links


def error_summary(form, formsets) -> list[ErrorLink]:
    """Every error of the form and its inline rows, in page order, each with its field's id."""
    links = _form_errors(form, "", "content-main")
    for formset in formsets:
        title = str(formset.model._meta.verbose_name)
        for message in formset.non_form_errors():
            links.append(ErrorLink(where=title, message=str(message), anchor=f"{formset.prefix}-group"))
        for index, row in enumerate(formset.forms):
            if row.errors:
                links.extend(_form_errors(row, f"{title} {index + 1}件目", f"{formset.prefix}-{index}"))
    return links
