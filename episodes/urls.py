from django.urls import path

from . import views

app_name = "episodes"

urlpatterns = [
    path("", views.home, name="home"),
    path("shows/<str:slug>/", views.show_detail, name="show"),
    path("actors/<str:slug>/", views.actor_detail, name="actor"),
    path("episode/<int:number>", views.episode_detail, name="episode"),
    path("episode/<int:number>/", views.episode_slash_redirect),
]
