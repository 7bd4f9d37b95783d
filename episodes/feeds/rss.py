"""Podcast feeds: RSS 2.0 with the iTunes and Podcasting 2.0 namespaces.

Built with Django's syndication framework. A podcast app polling the feed
gets, in order: a 304 from the ETag (one query, nothing built), the ready
bytes (feed_cache), or a build from stored fields in a fixed number of queries.
"""

import hashlib

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.templatetags.static import static
from django.utils import timezone
from django.utils.feedgenerator import Enclosure, Rss201rev2Feed, Stylesheet
from django.utils.xmlutils import SimplerXMLGenerator

from episodes.catalogue.links import absolute_url
from episodes.catalogue.models import Episode, Show, Station, moved_show_redirect
from episodes.catalogue.models.shows import WEEKDAYS_RRULE
from episodes.catalogue.text import clean_text
from episodes.feeds import cache as feed_cache
from episodes.feeds import websub
from episodes.feeds.shownotes import DESCRIPTION_MAX_BYTES, item_description, show_notes_html

ITUNES_NS = "http://www.itunes.com/dtds/podcast-1.0.dtd"
PODCAST_NS = "https://podcastindex.org/namespace/1.0"
CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
WEEKDAYS_LABEL = "平日毎日"


def _cdata(handler, name: str, text: str) -> None:
    """Write an element whose text is raw HTML inside CDATA.

    SAX's generator only writes escaped text; `ignorableWhitespace` is its one
    method that writes unescaped, so the CDATA section goes through it. A
    literal `]]>` in the HTML is split across two sections.
    """
    handler.startElement(name, {})
    handler.ignorableWhitespace("<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>")
    handler.endElement(name)


class CleaningXMLGenerator(SimplerXMLGenerator):
    """Writes whatever it is given, less the characters XML 1.0 cannot carry.

    Stored text is already clean (models.text); this is the last line of
    defence, so that no value can make Django's generator refuse a feed
    (UnserializableContentError) or write one that apps cannot parse.
    """

    def characters(self, content):
        super().characters(clean_text(content) if content else content)

    def ignorableWhitespace(self, content):
        super().ignorableWhitespace(clean_text(content))

    def startElement(self, name, attrs):
        attrs = {key: clean_text(value) if isinstance(value, str) else value for key, value in (attrs or {}).items()}
        super().startElement(name, attrs)


def _media_location() -> str:
    """Where media URLs point (bucket, endpoint, CDN, prefix): moving media must change every feed."""
    options = settings.STORAGES["default"].get("OPTIONS", {})
    keys = ("endpoint_url", "bucket_name", "custom_domain", "location", "querystring_auth")
    return "|".join([settings.MEDIA_URL, *(str(options.get(key) or "") for key in keys)])


class PodcastRssFeed(Rss201rev2Feed):
    """RSS 2.0 plus the channel and item tags podcast directories and apps read."""

    content_type = "application/rss+xml; charset=utf-8"

    def write(self, outfile, encoding):
        # RssFeed.write with the cleaning generator in place of SimplerXMLGenerator.
        handler = CleaningXMLGenerator(outfile, encoding, short_empty_elements=True)
        handler.startDocument()
        self.add_stylesheets(handler)
        handler.startElement("rss", self.rss_attributes())
        handler.startElement("channel", self.root_attributes())
        self.add_root_elements(handler)
        self.write_items(handler)
        self.endChannelElement(handler)
        handler.endElement("rss")

    def rss_attributes(self):
        return {
            **super().rss_attributes(),
            "xmlns:itunes": ITUNES_NS,
            "xmlns:podcast": PODCAST_NS,
            "xmlns:content": CONTENT_NS,
        }

    def add_root_elements(self, handler):
        super().add_root_elements(handler)
        channel = self.feed["channel"]
        add = handler.addQuickElement
        if websub.enabled():
            add("atom:link", None, {"rel": "hub", "href": settings.WEBSUB_HUB_URL})
        if artwork := absolute_url(channel.feed_cover_src):
            add("itunes:image", None, {"href": artwork})
            handler.startElement("image", {})
            add("url", artwork)
            add("title", channel.name)
            add("link", self.feed["link"])
            handler.endElement("image")
        add("itunes:category", None, {"text": channel.category})
        add("itunes:explicit", "true" if channel.explicit else "false")
        add("itunes:author", channel.author)
        handler.startElement("itunes:owner", {})
        add("itunes:name", channel.owner_display_name)
        add("itunes:email", channel.owner_email)
        handler.endElement("itunes:owner")
        add("itunes:summary", self.feed["description"])
        if self.feed.get("new_feed_url"):
            # Apple's rule for a feed that moved: the feed at the new URL names itself, the old URL answers 301.
            add("itunes:new-feed-url", self.feed["new_feed_url"])
        add("itunes:type", "episodic")
        add("podcast:guid", str(channel.feed_podcast_guid))
        add("podcast:locked", "yes", {"owner": channel.owner_email})
        for host in channel.feed_hosts:
            add("podcast:person", host.name, _person_attributes(host, role="host", group="cast"))
        add(
            "podcast:updateFrequency",
            WEEKDAYS_LABEL if channel.update_frequency == WEEKDAYS_RRULE else "定期配信",
            {"rrule": channel.update_frequency},
        )
        # The namespace's ai-content purpose takes a boolean, like itunes:explicit: the voices are synthesised.
        add("podcast:txt", "true", {"purpose": "ai-content"})
        if self.feed["podroll"]:
            # The sister shows, as the namespace's creator recommendations.
            handler.startElement("podcast:podroll", {})
            for show in self.feed["podroll"]:
                add(
                    "podcast:remoteItem",
                    None,
                    {"feedGuid": str(show.podcast_guid), "feedUrl": show.feed_url, "title": show.name},
                )
            handler.endElement("podcast:podroll")

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        episode = item["episode"]
        add = handler.addQuickElement
        # Apple shows at most 4,000 bytes of <description>; the whole notes go in content:encoded.
        _cdata(handler, "description", item_description(episode))
        _cdata(handler, "content:encoded", item["show_notes"])
        add("itunes:duration", str(max(1, round(episode.audio_duration))))
        if image := episode.feed_image_src:
            add("itunes:image", None, {"href": absolute_url(image)})
        add("itunes:explicit", "true" if episode.show.explicit else "false")
        add("itunes:episode", str(episode.number))
        add("itunes:episodeType", "full")
        # Episode-level persons replace the channel's list, so hosts come again.
        cast = episode.actors
        for host in episode.show.hosts.all():
            if host not in cast:
                add("podcast:person", host.name, _person_attributes(host, role="host", group="cast"))
        for actor in cast:
            add("podcast:person", actor.name, _person_attributes(actor, role="Voice Actor", group="cast"))
        if episode.has_chapters:
            add(
                "podcast:chapters",
                None,
                {"url": absolute_url(episode.chapters_url), "type": "application/json+chapters"},
            )
        if episode.has_transcript:
            add(
                "podcast:transcript",
                None,
                {"url": absolute_url(episode.transcript_url), "type": "text/plain", "language": "ja"},
            )
            if episode.has_timed_transcript:
                add(
                    "podcast:transcript",
                    None,
                    {"url": absolute_url(episode.transcript_vtt_url), "type": "text/vtt", "language": "ja"},
                )
        if episode.youtube_id:
            add(
                "podcast:contentLink",
                "YouTube版（スライド付き）",
                {"href": f"https://www.youtube.com/watch?v={episode.youtube_id}"},
            )


def _person_attributes(actor, *, role: str, group: str) -> dict[str, str]:
    attributes = {"role": role, "group": group}
    if actor.image_src:
        attributes["img"] = absolute_url(actor.image_src)
    attributes["href"] = absolute_url(actor.profile_url or actor.get_absolute_url())
    return attributes


def ready_key(path: str) -> str:
    """The feed's entry in the ready-bytes store: its path and everything its bytes depend on besides content.

    Where links point (site, media), how many items, and the WebSub hub the feed names.
    """
    where = f"{settings.SITE_URL}|{_media_location()}|{settings.FEED_ITEM_LIMIT}|{settings.WEBSUB_HUB_URL}"
    return f"{path}|{hashlib.sha256(where.encode()).hexdigest()[:16]}"


class PodcastFeed(Feed):
    """Shared behaviour of the station feed and the per-show feeds."""

    feed_type = PodcastRssFeed
    # HTML goes into CDATA by the generator, not into the escaped description.
    item_description = None

    def stylesheets(self):
        # A browser shows the feed as a page saying how to subscribe; podcast apps ignore it.
        return [Stylesheet(static("feed/feed.xsl"), mimetype="text/xsl")]

    # --- conditional GET and caching ------------------------------------------

    def __call__(self, request, *args, **kwargs):
        # Ready bytes (plain and gzip) per content state; see feed_cache.
        return feed_cache.serve(
            request,
            key=ready_key(request.path),
            build=lambda: (
                self.get_feed(self.get_object(request, *args, **kwargs), request).writeString("utf-8").encode()
            ),
            content_type=PodcastRssFeed.content_type,
        )

    # --- channel -------------------------------------------------------------------

    def get_object(self, request, *args, **kwargs):
        return self.load_channel(*args, **kwargs)

    def title(self, channel):
        return channel.name

    def link(self, channel):
        return absolute_url(channel.get_absolute_url())

    def feed_url(self, channel):
        return channel.feed_url

    def description(self, channel):
        text = channel.long_description or channel.description
        # Apple's limit for the show description is 4,000 bytes.
        return text.encode()[:DESCRIPTION_MAX_BYTES].decode(errors="ignore")

    def feed_copyright(self, channel):
        return channel.copyright or None

    def feed_extra_kwargs(self, channel):
        return {"channel": channel, "podroll": self.sister_shows(channel)}

    # --- items ---------------------------------------------------------------------

    def items(self, channel):
        episodes = self.visible_episodes(channel).for_feed()
        limit = settings.FEED_ITEM_LIMIT
        return episodes[:limit] if limit else episodes

    def item_title(self, episode):
        return episode.title

    def item_link(self, episode):
        return absolute_url(episode.get_absolute_url())

    def item_guid(self, episode):
        return episode.feed_guid

    item_guid_is_permalink = False

    def item_pubdate(self, episode):
        # In the station's time zone, as the old feed wrote it (+0900).
        return timezone.localtime(episode.published_at)

    def item_updateddate(self, episode):
        return None

    def item_enclosures(self, episode):
        return [Enclosure(absolute_url(episode.listen_src), str(episode.audio_size), episode.audio_mime_display)]

    def item_extra_kwargs(self, episode):
        return {"episode": episode, "show_notes": show_notes_html(episode)}


class StationFeed(PodcastFeed):
    """`/feed.xml`: every show together, at the old site's feed URL."""

    def load_channel(self):
        return Station.load()

    def visible_episodes(self, channel):
        return Episode.objects.published().in_feed()

    def sister_shows(self, channel):
        return list(Show.objects.filter(pk__in=self.visible_episodes(channel).values("show")))


class ShowFeed(PodcastFeed):
    """`/shows/<slug>/feed.xml`: one show; a former slug's feed URL answers 301 to the current one."""

    def __call__(self, request, *args, **kwargs):
        # Only a miss asks for former slugs: a poll of the current URL (304 or ready bytes) costs nothing more.
        try:
            return super().__call__(request, *args, **kwargs)
        except Http404:
            if moved := moved_show_redirect(request, slug=kwargs["slug"], view_name="episodes:show_feed"):
                return moved
            raise

    def load_channel(self, slug):
        return get_object_or_404(Show.objects.public().with_moved(), slug=slug)

    def feed_extra_kwargs(self, channel):
        return {**super().feed_extra_kwargs(channel), "new_feed_url": channel.feed_url if channel.moved else ""}

    def visible_episodes(self, channel):
        return Episode.objects.published().in_feed().filter(show=channel)

    def sister_shows(self, channel):
        visible = Episode.objects.published().in_feed().values("show")
        return list(Show.objects.filter(pk__in=visible).exclude(pk=channel.pk))
