"""Downloads counted by the IAB rules, from raw hits to the aggregates editors read."""

from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "episodes.analytics"
    label = "analytics"
    verbose_name = "ダウンロード集計"
