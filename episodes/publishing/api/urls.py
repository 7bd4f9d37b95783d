"""The publishing API for the production pipeline (episodes/publishing/api/), under /api/v1/."""

from django.urls import path

from episodes.publishing.api import views

app_name = "api"

urlpatterns = [
    path("episodes", views.publish, name="publish"),
    path("episodes/<int:number>", views.episode, name="episode"),
    path("health", views.health, name="health"),
    path("openapi.json", views.openapi, name="openapi"),
]
