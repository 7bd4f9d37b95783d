"""Text is cleaned to what XML 1.0 can carry, on every save of every model (issue 12, finding 2)."""

import io
import xml.etree.ElementTree as ET

import feedparser
import podcastparser
import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory

from episodes.catalogue.models import Actor, Episode, LegacyPath, LinkedArticle, Station
from episodes.catalogue.text import NOT_XML_CHAR, clean_data, clean_text
from episodes.feeds.cache import is_well_formed
from episodes.feeds.rss import StationFeed
from episodes.letters.models import Letter
from episodes.publishing.models import ApiToken
from tests.factories import make_actor, make_episode, make_show

pytestmark = pytest.mark.django_db

# What PDFs and terminals paste: vertical tab, form feed, escape, backspace, NUL, and the two non-characters.
DIRTY = "前\x0b\x0c\x1b\x08\x00\ufffe\uffff後"


class TestCleanText:
    def test_drops_every_character_xml_cannot_carry(self):
        assert clean_text(DIRTY) == "前後"
        for code in [*range(0x20), 0xFFFE, 0xFFFF, 0xD800, 0xDFFF]:
            if chr(code) not in "\t\n\r":
                assert clean_text(f"a{chr(code)}b") == "ab", hex(code)

    def test_keeps_tab_line_breaks_and_everything_else(self):
        text = "一行目\tタブ\r\n二行目 😀 \u3000 ｶﾅ \x7f \ufffd \U0010fffd"
        assert clean_text(text) == text
        assert not NOT_XML_CHAR.search(text)

    def test_escaped_surrogate_halves_are_joined_or_dropped(self):
        # YAML and JSON `\\ud83d\\ude00` escapes decode an emoji as two halves (found by tests/test_fuzz.py).
        assert clean_text("a\ud83d\ude00b\ud800c") == "a😀bc"

    def test_clean_data_walks_json(self):
        assert clean_data([[0.0, 1.5, "台\x0b詞"], {"k\x1b": ["\x0c"]}, None, 3]) == [
            [0.0, 1.5, "台詞"],
            {"k": [""]},
            None,
            3,
        ]


class TestEveryModelSaveIsClean:
    def test_episode_article_actor_show_station(self):
        actor = make_actor(name=f"声{DIRTY}", credit=f"VOICEVOX:{DIRTY}", bio=DIRTY)
        show = make_show(name=f"番組{DIRTY}", description=DIRTY, long_description=DIRTY)
        episode = make_episode(
            show=show, cast=[actor], title=f"題{DIRTY}", description=DIRTY, notice=DIRTY, notes=DIRTY, transcript=DIRTY
        )
        episode.transcript_cues = [[0.0, 1.0, DIRTY]]
        episode.save()
        LinkedArticle.objects.create(episode=episode, title=DIRTY, url="https://example.com/a", summary=DIRTY)
        station = Station.load()
        station.description = DIRTY
        station.save()
        for model in (Episode, LinkedArticle, Actor, type(show), Station):
            for row in model.objects.values():
                for name, value in row.items():
                    assert not NOT_XML_CHAR.search(str(value)), (model.__name__, name, value)
        episode.refresh_from_db()
        assert episode.title.endswith("前後") and episode.transcript_cues == [[0.0, 1.0, "前後"]]

    def test_letters_tokens_and_legacy_paths(self):
        letter = Letter.objects.create(radio_name=f"名{DIRTY}", message=DIRTY)
        token = ApiToken.objects.create(name=DIRTY, token_hash="0" * 64)
        legacy = LegacyPath.objects.create(path=f"/audio/{DIRTY}.mp3", target="https://example.com/a.mp3")
        letter.refresh_from_db()
        token.refresh_from_db()
        legacy.refresh_from_db()
        assert (letter.radio_name, letter.message, token.name, legacy.path) == (
            "名前後",
            "前後",
            "前後",
            "/audio/前後.mp3",
        )

    def test_bulk_writes_are_clean_too(self):
        episode = make_episode()
        Episode.objects.filter(pk=episode.pk).update(title=DIRTY)
        assert Episode.objects.get(pk=episode.pk).title == "前後"
        episode.refresh_from_db()
        episode.description = DIRTY
        Episode.objects.bulk_update([episode], ["description"])
        assert Episode.objects.get(pk=episode.pk).description == "前後"

    def test_admin_save_is_clean(self, client):
        User.objects.create_superuser("admin", "a@example.com", "pw")
        client.login(username="admin", password="pw")
        dirty = DIRTY.replace("\x00", "")  # Django's forms refuse NUL with a message of their own
        response = client.post("/admin/catalogue/actor/add/", {"name": f"声{dirty}", "slug": "koe", "bio": dirty})
        assert response.status_code == 302, response.content[:2000]
        assert Actor.objects.get(slug="koe").name == "声前後"


class TestFeedsStayWellFormed:
    """A control character anywhere leaves every feed 200 and readable by strict parsers."""

    @pytest.mark.parametrize("char", ["\x0b", "\x0c", "\x1b", "\x08", "\ufffe", "\uffff"])
    def test_dirty_rows_written_past_the_model(self, client, char):
        # Rows from before the cleaning (or written with raw SQL) still give a readable feed.
        actor = make_actor()
        episode = make_episode(cast=[actor], articles=1)
        dirty = f"前{char}後"
        Episode.objects.filter(pk=episode.pk).update(status="published")  # moves the revision
        with connection.cursor() as cursor:
            for table, columns in {
                Episode._meta.db_table: ["title", "notice", "description", "notes_html"],
                LinkedArticle._meta.db_table: ["title", "summary_html"],
                Actor._meta.db_table: ["name"],
            }.items():
                for column in columns:
                    cursor.execute(f"UPDATE {table} SET {column} = %s", [dirty])  # noqa: S608
        for path in ("/feed.xml", f"/shows/{episode.show.slug}/feed.xml"):
            response = client.get(path)
            assert response.status_code == 200
            root = ET.fromstring(response.content)
            assert root.find("channel/item/title").text == "前後"
            assert not feedparser.parse(response.content).bozo
            assert podcastparser.parse("https://example.com/feed.xml", io.BytesIO(response.content))["episodes"]

    def test_title_with_vertical_tab_saved_through_the_model(self, client):
        episode = make_episode(title="題\x0b名", cast=[make_actor(name="声\x0c")])
        response = client.get("/feed.xml")
        assert response.status_code == 200
        assert ET.fromstring(response.content).find("channel/item/title").text == "題名"
        assert client.get(f"/shows/{episode.show.slug}/feed.xml").status_code == 200

    def test_a_body_that_does_not_parse_is_never_cached(self, caplog):
        builds = []

        class BrokenFeed(StationFeed):
            def get_feed(self, obj, request):
                builds.append(1)

                class Written:
                    def writeString(self, encoding):
                        return "<rss><channel>"

                return Written()

        make_episode()
        for _ in range(2):
            assert BrokenFeed()(RequestFactory().get("/feed.xml")).status_code == 200
        assert len(builds) == 2  # the broken body was not cached
        assert "not well-formed" in caplog.text
        assert is_well_formed(b"<rss/>") and not is_well_formed(b"<rss>\x0b</rss>")
