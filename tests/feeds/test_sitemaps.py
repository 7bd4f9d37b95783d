"""`/sitemap.xml` and `/robots.txt`: what crawlers are told."""

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_actor, make_episode, make_show

pytestmark = pytest.mark.django_db
SM = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def test_sitemap_lists_public_pages_on_the_public_origin(client, settings):
    settings.SITE_URL = "https://podcast.example.jp"
    show = make_show(slug="daily")
    actor = make_actor(slug="zundamon")
    make_episode(show, cast=[actor], number=371)
    make_episode(number=372, published_at=timezone.now() + timedelta(days=1))
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    locs = {url.findtext("sm:loc", namespaces=SM): url for url in root.findall("sm:url", SM)}
    assert "https://podcast.example.jp/shows/daily/" in locs
    assert "https://podcast.example.jp/actors/zundamon/" in locs
    assert "https://podcast.example.jp/episode/371" in locs
    assert "https://podcast.example.jp/episode/372" not in locs
    assert locs["https://podcast.example.jp/episode/371"].findtext("sm:lastmod", namespaces=SM)


def test_robots_points_at_the_sitemap(client, settings):
    settings.SITE_URL = "https://podcast.example.jp"
    body = client.get("/robots.txt").content.decode()
    assert "Sitemap: https://podcast.example.jp/sitemap.xml" in body
    assert "Disallow: /admin/" in body


def test_sitemap_costs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(30):
        make_episode(cast=[make_actor()])
    with django_assert_max_num_queries(6):
        assert client.get("/sitemap.xml").status_code == 200
