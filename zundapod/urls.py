"""Root URLs: the public site, the admin, the editor's endpoints, media."""

from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path, re_path

from episodes.backoffice import editor
from episodes.feeds.sitemaps import SITEMAPS, robots_txt
from episodes.serving import health
from episodes.site import legacy, media

admin.site.site_header = "zundapod 管理画面"
admin.site.site_title = "zundapod"
admin.site.index_title = "番組の管理"
# The changelist needs the width more than a second navigation column.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("admin/", admin.site.urls),
    # The paths markdownx's editor script posts to, answered by staff-only views.
    path("markdownx/markdownify/", editor.markdown_preview, name="markdownx_markdownify"),
    path("markdownx/upload/", editor.markdown_image_upload, name="markdownx_upload"),
    path("healthz", health.healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name none (the admin's).
    path("favicon.ico", lambda request: redirect(static("favicon.png"), permanent=True)),
    path("api/v1/", include("episodes.publishing.api.urls")),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots"),
    path("", include("episodes.site.urls")),
]

if not settings.MEDIA_ON_S3:
    urlpatterns.append(re_path(r"^media/(?P<path>.+)$", media.serve_media, name="media"))

# golive: every other path the old site answered (its slides, public/ files, Next.js pages),
# last so nothing of the new site is shadowed (import_jekyll makes the rows).
urlpatterns.append(re_path(r"^(?P<path>.+)$", legacy.old_path, name="legacy_path"))

# Django's own error pages, which also hand back the connection their rendering took
# (under ASGI they render in a thread no request_finished reaches).
handler400 = "episodes.serving.release_database.bad_request"
handler403 = "episodes.serving.release_database.permission_denied"
handler404 = "episodes.serving.release_database.page_not_found"
handler500 = "episodes.serving.release_database.server_error"
