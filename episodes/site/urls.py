from django.urls import path

from episodes.feeds import embed, episode_files
from episodes.feeds import rss as feeds
from episodes.site import legacy, media, offline, views

app_name = "episodes"

urlpatterns = [
    path("", views.home, name="home"),
    path("shows/", views.show_list, name="shows"),
    path("shows/<str:slug>/", views.show_detail, name="show"),
    path("shows/<str:slug>/subscribe/", views.show_subscribe, name="show_subscribe"),
    path("subscribe/", views.subscribe, name="subscribe"),
    path("actors/<str:slug>/", views.actor_detail, name="actor"),
    path("search/", views.search_view, name="search"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:year>/<int:month>/", views.archive_month, name="archive_month"),
    path("episode/<int:number>", views.episode_detail, name="episode"),
    path("episode/<int:number>/", views.episode_slash_redirect),
    # Podcast feeds and what they point at.
    path("feed.xml", feeds.StationFeed(), name="feed"),
    path("shows/<str:slug>/feed.xml", feeds.ShowFeed(), name="show_feed"),
    path("episode/<int:number>/chapters.json", episode_files.chapters, name="chapters"),
    path("episode/<int:number>/transcript.txt", episode_files.transcript_text, name="transcript_text"),
    path("episode/<int:number>/transcript.vtt", episode_files.transcript_vtt, name="transcript_vtt"),
    # The player other sites may frame, and how their editors find it (oEmbed).
    path("episode/<int:number>/embed", embed.episode_embed, name="episode_embed"),
    path("oembed", embed.oembed, name="oembed"),
    # The old static site's addresses keep working.
    path("index.html", views.legacy_index),
    path("episode/<int:number>.html", views.legacy_episode_html),
    path("audio/<path:path>", legacy.old_path, {"prefix": "audio"}, name="legacy_audio"),
    path("images/<path:path>", legacy.old_path, {"prefix": "images"}, name="legacy_image"),
    # Counting URL in front of audio served elsewhere (object storage, a CDN): records, then 302.
    path("listen/<int:pk>/<str:filename>", media.listen, name="listen"),
    # Offline listening (issue 25): the service worker at the root, so its scope is every page.
    path("sw.js", offline.service_worker, name="service_worker"),
    # Listener letters.
    path("letters/", views.letter_form, name="letters"),
    path("letters/thanks/", views.letter_thanks, name="letters_thanks"),
]
