"""`/sitemap.xml`: shows, public episodes and actors, on the public origin."""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.http import HttpResponse

from episodes.catalogue.models import Actor, Episode, Show


class PublicOriginSitemap(Sitemap):
    """Absolute URLs on SITE_URL, whatever host the request came in on."""

    def get_protocol(self, protocol=None):
        return urlsplit(settings.SITE_URL).scheme

    def get_domain(self, site=None):
        return urlsplit(settings.SITE_URL).netloc


class ShowSitemap(PublicOriginSitemap):
    changefreq = "daily"
    priority = 0.8

    def items(self):
        return Show.objects.public().order_by("pk")


class EpisodeSitemap(PublicOriginSitemap):
    changefreq = "weekly"
    limit = 5000

    def items(self):
        return Episode.objects.published().order_by("-number").only("number", "updated_at")

    def lastmod(self, episode):
        return episode.updated_at


class ActorSitemap(PublicOriginSitemap):
    changefreq = "weekly"
    priority = 0.3

    def items(self):
        return Actor.objects.public().order_by("pk")


SITEMAPS = {"shows": ShowSitemap, "episodes": EpisodeSitemap, "actors": ActorSitemap}


def robots_txt(request):
    """Crawlers may read everything public; the admin and editor endpoints are not for them."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /markdownx/",
        f"Sitemap: {settings.SITE_URL}/sitemap.xml",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
