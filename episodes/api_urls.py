"""The publishing API for the production pipeline (episodes/api/), under /api/v1/."""

from django.urls import path

from . import api

app_name = "api"

urlpatterns = [
    path("episodes", api.publish, name="publish"),
    path("episodes/<int:number>", api.episode, name="episode"),
    path("health", api.health, name="health"),
    path("openapi.json", api.openapi, name="openapi"),
]
