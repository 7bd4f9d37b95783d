"""The editors' back office: the Japanese admin, the dashboard and the editor's endpoints."""

import axes.apps
from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "episodes.backoffice"
    label = "backoffice"
    verbose_name = "管理画面"


class AxesConfig(axes.apps.AppConfig):
    """django-axes under a Japanese heading: the admin index otherwise shows its label, "Axes"."""

    name = "axes"
    verbose_name = "ログイン制限"
    # Never this app's own config: with two candidates in this module Django would pick neither.
    default = False
