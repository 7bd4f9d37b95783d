"""How bytes reach listeners fast and safely: ready bytes, caches, body limits, outages, health."""

from django.apps import AppConfig


class ServingConfig(AppConfig):
    name = "episodes.serving"
    label = "serving"
    verbose_name = "配信"
