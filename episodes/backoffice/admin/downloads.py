"""The downloads page in the admin: charts and tables from the aggregates, each table as CSV.

Registered on the aggregate model, so it appears in the admin index as
「ダウンロード数（日別）」 for staff who may view it, and its changelist is the page.
"""

from datetime import date, timedelta

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from episodes.analytics import charts, names, reports
from episodes.analytics.models import DailyDownloads
from episodes.backoffice.admin.letters import csv_bytes
from episodes.catalogue.bounds import FIRST_YEAR, LAST_YEAR
from episodes.catalogue.models import Show

# A chosen period is at most a year and a bit: the line stays readable and the query bounded.
MAX_DAYS = 400
DEFAULT_DAYS = 30


class PeriodForm(forms.Form):
    """Which show and which days the page shows (GET parameters)."""

    show = forms.ModelChoiceField(Show.objects.order_by("name"), required=False, label="番組", empty_label="すべて")
    start = forms.DateField(required=False, label="開始日", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, label="終了日", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        data = super().clean()
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        for value in (start, end):
            if not FIRST_YEAR <= value.year <= LAST_YEAR:
                raise forms.ValidationError(f"日付は {FIRST_YEAR} 年から {LAST_YEAR} 年までにしてください。")
        if start > end:
            raise forms.ValidationError("開始日は終了日より前にしてください。")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(f"期間は {MAX_DAYS} 日までにしてください。")
        data["start"], data["end"] = start, end
        return data


def _period(request) -> tuple[PeriodForm, Show | None, date, date]:
    form = PeriodForm(request.GET or None)
    if form.is_valid():
        return form, form.cleaned_data["show"], form.cleaned_data["start"], form.cleaned_data["end"]
    end = timezone.localdate()
    return form, None, end - timedelta(days=DEFAULT_DAYS - 1), end


def _first_days_table(*, show, start, end):
    header = ["公開日", "番組", "エピソード", "初日", "7日間", "30日間", "累計"]
    rows = [
        [
            row.published.isoformat(),
            row.episode.show.name,
            f"#{row.episode.number} {row.episode.title}",
            *("" if row.first[n] is None else row.first[n] for n in reports.FIRST_DAYS),
            row.total,
        ]
        for row in reports.first_days(show=show)
    ]
    return header, rows


def _daily_table(*, show, start, end):
    return ["日付", "ダウンロード数"], [
        [day.isoformat(), n] for day, n in reports.daily(start=start, end=end, show=show)
    ]


def _episodes_table(*, show, start, end):
    rows = reports.top_episodes(start=start, end=end, show=show, limit=100)
    return ["番組", "エピソード", "ダウンロード数"], [[e.show.name, f"#{e.number} {e.title}", n] for e, n in rows]


def _apps_table(*, show, start, end):
    return ["アプリ", "ダウンロード数"], [list(row) for row in reports.top_by("app", start=start, end=end, show=show)]


def _devices_table(*, show, start, end):
    rows = reports.top_by("device", start=start, end=end, show=show)
    return ["端末", "ダウンロード数"], [list(row) for row in rows]


# name in the CSV URL and the file name -> builder
TABLES = {
    "first-days": _first_days_table,
    "daily": _daily_table,
    "episodes": _episodes_table,
    "apps": _apps_table,
    "devices": _devices_table,
}


@admin.register(DailyDownloads)
class DownloadsAdmin(admin.ModelAdmin):
    """Read-only: the numbers come from `aggregate_downloads`, never from an editor."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        urls = [
            path(
                "csv/<str:table>/",
                self.admin_site.admin_view(self.csv_view),
                name="analytics_dailydownloads_csv",
            )
        ]
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form, show, start, end = _period(request)
        series = reports.daily(start=start, end=end, show=show)
        top = reports.top_episodes(start=start, end=end, show=show)
        apps = reports.top_by("app", start=start, end=end, show=show)
        devices = reports.top_by("device", start=start, end=end, show=show)
        period = f"{start:%Y-%m-%d} 〜 {end:%Y-%m-%d}"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "ダウンロード数",
            "form": form,
            "query": request.GET.urlencode(),
            "period": period,
            "total": sum(n for _, n in series),
            "daily_chart": charts.line_chart(series, label=f"1日ごとのダウンロード数（{period}）"),
            "first_days": reports.first_days(show=show),
            "first_day_counts": reports.FIRST_DAYS,
            "top_episodes": top,
            "episodes_chart": charts.bar_chart(
                [(names.episode_label(e), n) for e, n in top], label="よく聴かれたエピソード"
            ),
            "apps": apps,
            "apps_chart": charts.bar_chart(apps, width=600, label="アプリ別"),
            "devices": devices,
            "devices_chart": charts.bar_chart(devices, width=600, label="端末別"),
        }
        return TemplateResponse(request, "admin/analytics/downloads.html", {**context, **(extra_context or {})})

    def csv_view(self, request, table: str):
        if not self.has_view_permission(request):
            raise PermissionDenied
        if table not in TABLES:
            raise Http404
        _form, show, start, end = _period(request)
        header, rows = TABLES[table](show=show, start=start, end=end)
        response = HttpResponse(csv_bytes(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="downloads-{table}-{start:%Y%m%d}-{end:%Y%m%d}.csv"'
        return response
