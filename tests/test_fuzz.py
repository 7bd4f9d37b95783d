"""Generated input never takes a page or a feed down (issue 12).

Every public URL pattern, the letters form, the admin's episode form and the
publishing API get generated text, numbers and headers: none answers 500
(the test client re-raises any exception a view lets through), and after any
saved content every feed parses with a strict XML parser, feedparser and
podcastparser.

`make test` runs a few examples of each; CI runs many more with
`ZUNDAPOD_FUZZ_EXAMPLES=500 .venv/bin/pytest tests/test_fuzz.py`.
"""

import io
import json
import os
import re
import xml.etree.ElementTree as ET
from itertools import count
from urllib.parse import quote

import feedparser
import podcastparser
import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLResolver, get_resolver
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from episodes.catalogue.models import Episode, LinkedArticle, Show
from episodes.publishing.models import ApiToken

from .factories import MP3, POST_STEM, episode_form, make_actor, make_episode, make_show, mp3_upload

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ZUNDAPOD_FUZZ_EXAMPLES", "15"))
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Values that broke something once, or that break parsers and converters in general.
NASTY = [
    "",
    " ",
    "\x00",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\ufffe",
    "\uffff",
    "\u202e",
    "\r\n",
    "]]>",
    "<script>alert(1)</script>",
    "&amp;",
    "&#0;",
    "9" * 400,
    "9" * 4400,
    "9223372036854775807",
    "-1",
    "0",
    "1e400",
    "Infinity",
    "-Infinity",
    "NaN",
    "²",
    "①",
    "１２３",
    "0001-01-01",
    "0001-01-01 00:00",
    "9999-12-31T23:59:59-12:00",
    "2026-02-30",
    "99:99",
    ":00:00",
    "[" * 2000,
    "![" * 500,
    "http://a" * 200,
    "bytes=" + "1" * 4300 + "-",
    "bytes=0-",
    "bytes=-5",
    "%",
    "%00",
    "../../etc/passwd",
    "*a",
    "&a [1]",
    "ずんだもん",
]
NASTY_TEXT = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=40),
    st.builds(lambda a, b, c: a + b + c, st.text(max_size=10), st.sampled_from(NASTY), st.text(max_size=10)),
)
QUERY_KEYS = ["q", "page", "year", "show", "actor", "episode", "e", "o", "p", "published_at__year"]
HEADERS = {
    "HTTP_RANGE": st.sampled_from(["bytes=0-10", "bytes=-1", "bytes=5-", "bytes=9-1"]) | NASTY_TEXT,
    "HTTP_IF_RANGE": NASTY_TEXT,
    "HTTP_IF_NONE_MATCH": NASTY_TEXT,
    "HTTP_IF_MODIFIED_SINCE": st.sampled_from(["Sat, 29 Nov 2026 00:00:00 GMT"]) | NASTY_TEXT,
    "HTTP_ACCEPT_LANGUAGE": NASTY_TEXT,
    "HTTP_ACCEPT_ENCODING": st.sampled_from(["gzip", "br", "*"]) | NASTY_TEXT,
}
_numbers = count(50_000)


def header_safe(value: str) -> str:
    # WSGI headers are latin-1 text without line breaks; anything else never reaches Django.
    return value.encode("utf-8", "ignore").decode("latin-1").replace("\r", "").replace("\n", "")


def assert_feeds_parse(client) -> None:
    """Every feed, built afresh, is 200 and readable by a strict XML parser, feedparser and podcastparser."""
    cache.clear()  # revisions move on commit, which a test's transaction never reaches
    paths = ["/feed.xml", *(f"/shows/{quote(slug)}/feed.xml" for slug in Show.objects.values_list("slug", flat=True))]
    for path in paths:
        response = client.get(path)
        if response.status_code == 404:  # a show with nothing public has no feed
            continue
        assert response.status_code == 200, path
        body = response.content
        ET.fromstring(body)
        parsed = feedparser.parse(body)
        assert not parsed.bozo, (path, parsed.bozo_exception)
        podcastparser.parse("https://podcast.example.jp" + path, io.BytesIO(body))


# --- the public URL patterns ----------------------------------------------------------------------


def public_routes() -> list[str]:
    """Every route outside the admin, as `<converter:name>` templates."""

    def walk(patterns, prefix):
        for pattern in patterns:
            route = str(pattern.pattern)
            if route.startswith("^"):  # a regex route (media): written as a path template
                route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<path:\1>", route.strip("^$"))
            if isinstance(pattern, URLResolver):
                if not route.startswith("admin/"):
                    yield from walk(pattern.url_patterns, prefix + route)
            else:
                yield prefix + route

    return sorted(set(walk(get_resolver().url_patterns, "/")))


ROUTES = public_routes()
SEGMENT = {
    "int": st.integers(min_value=0, max_value=10**30).map(str),
    "str": NASTY_TEXT.filter(bool).map(lambda text: quote(text, safe="")),
    "slug": st.from_regex(r"[-a-zA-Z0-9_]{1,20}", fullmatch=True),
    "path": NASTY_TEXT.filter(bool).map(lambda text: quote(text, safe="/")),
}


@st.composite
def public_request(draw):
    route = draw(st.sampled_from(ROUTES))
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: draw(SEGMENT[m.group(1) or "str"]), route)
    query = draw(st.dictionaries(st.sampled_from(QUERY_KEYS) | st.text(max_size=5), NASTY_TEXT, max_size=4))
    headers = draw(st.fixed_dictionaries({}, optional=HEADERS))
    return path, query, {name: header_safe(value) for name, value in headers.items()}


@pytest.fixture
def content():
    """A show with hosts, public episodes with articles, chapters and transcripts, a draft."""
    zundamon = make_actor(name="ずんだもん", slug="zundamon")
    show = make_show(name="毎朝の番組", slug="daily")
    show.hosts.set([zundamon])
    for n in (1, 2):
        episode = make_episode(show=show, number=n, cast=[zundamon], articles=2, transcript="おはようなのだ。\n")
        episode.articles.update(start_seconds=1.5)
    make_episode(show=show, number=3, status=Episode.Status.DRAFT)
    return show


def test_every_public_route_is_fuzzed():
    assert {"/", "/feed.xml", "/episode/<int:number>", "/letters/", "/media/<path:path>", "/search/"} <= set(ROUTES)


@fuzz
@given(request=public_request())
def test_public_urls_never_500(client, content, request):
    path, query, headers = request
    for method in (client.get, client.head):
        response = method(path, query, **headers)
        assert response.status_code < 500, (path, query, headers)


# --- the letters form -------------------------------------------------------------------------------


@fuzz
@given(
    data=st.fixed_dictionaries(
        {"radio_name": NASTY_TEXT, "message": NASTY_TEXT},
        optional={"show": NASTY_TEXT, "episode": NASTY_TEXT, "email": NASTY_TEXT, "consent_to_air": NASTY_TEXT},
    )
)
def test_letters_form_never_500(content, data):
    response = Client().post("/letters/", data, REMOTE_ADDR=f"10.0.{next(_numbers) % 250}.{next(_numbers) % 250}")
    assert response.status_code in (200, 302, 429)


# --- the admin's episode form -----------------------------------------------------------------------

# Text any editor may type (the episode still saves), and fields that must parse (it may not).
ADMIN_TEXT = ["title", "description", "notice", "notes", "transcript", "articles-0-title", "articles-0-summary"]
ADMIN_PARSED = [
    "number",
    "published_at_0",
    "published_at_1",
    "youtube_url",
    "articles-0-url",
    "articles-0-start_seconds",
    "articles-1-start_seconds",
]


@st.composite
def admin_overrides(draw):
    overrides = draw(st.fixed_dictionaries({}, optional=dict.fromkeys(ADMIN_TEXT, NASTY_TEXT)))
    if draw(st.integers(0, 2)) == 2:
        overrides[draw(st.sampled_from(ADMIN_PARSED))] = draw(NASTY_TEXT)
    return overrides


@fuzz
@given(overrides=admin_overrides())
def test_admin_episode_form_never_500_and_feeds_parse(admin_client, content, overrides):
    data = episode_form(content, **{"number": next(_numbers), "audio_file": mp3_upload(), **overrides})
    response = admin_client.post("/admin/catalogue/episode/add/", data)
    assert response.status_code in (200, 302), response.content[:300]
    if response.status_code == 302:
        assert_feeds_parse(Client())


# --- the publishing API -------------------------------------------------------------------------------

TIMELINE_NUMBER = st.one_of(
    st.integers(min_value=0, max_value=10**7).map(str),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(["1e400", "-1e400", "Infinity", "NaN", "9" * 400, '"12"', "null", "true", "[]"]),
)


@st.composite
def api_upload(draw):
    number = next(_numbers)
    # Mostly posts that can be published (so feeds get the generated text), some that cannot.
    usually = st.integers(0, 3).map(lambda n: n < 3)
    day = "2026-01-05" if draw(usually) else draw(st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30"]))
    title = "毎朝の番組 podcast 20260105"
    front = {
        "title": title if draw(usually) else draw(NASTY_TEXT).replace("\n", " ") + title,
        "description": draw(NASTY_TEXT),
        "information": draw(NASTY_TEXT),
    }
    lines = ["---", "actor_ids:", "  - ずんだもん", f"audio_file_path: /audio/{POST_STEM}.mp3", f"date: {day}"]
    # JSON strings are YAML double-quoted strings; escaped, control characters reach the database.
    lines += [f"{key}: {json.dumps(value)}" for key, value in front.items()]
    article = draw(NASTY_TEXT).replace("\n", " ").replace("]", "") or "記事"
    lines += ["---", "", "## 関連リンク", "", f"- [{article}](https://example.com/{number})", "", draw(NASTY_TEXT)]
    lines += ["", f"引用元: https://example.com/{number}", ""]
    post = "\n".join(lines)
    start, end = ("0", "1500") if draw(usually) else (draw(TIMELINE_NUMBER), draw(TIMELINE_NUMBER))
    timeline = (
        f'[{{"type": "section", "url": "https://example.com/{number}", "notes": {json.dumps(draw(NASTY_TEXT))}, '
        f'"start_ms": {start}, "end_ms": {end}}}]'
    )
    data = {
        "post": SimpleUploadedFile(f"2026-01-05-{number}.md", post.encode("utf-8", "surrogatepass")),
        "audio": SimpleUploadedFile(f"{POST_STEM}.mp3", MP3.read_bytes(), content_type="audio/mpeg"),
        "timeline": SimpleUploadedFile(f"{POST_STEM}.json", timeline.encode("utf-8", "surrogatepass")),
    }
    if not draw(usually):
        data["publish_at"] = draw(NASTY_TEXT | st.sampled_from(["2026-01-05T06:00:00+09:00"]))
    if not draw(usually):
        data["overwrite"] = draw(st.sampled_from(["true", "false"]) | NASTY_TEXT)
    return data


@pytest.fixture
def secret(content):
    _, secret = ApiToken.issue(name="fuzz", shows=[content])
    return secret


@fuzz
@given(data=api_upload())
def test_api_never_500_and_feeds_parse(client, secret, data):
    response = client.post("/api/v1/episodes", data, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code != 500, response.content[:500]
    assert response["Content-Type"] == "application/json"
    json.loads(response.content, parse_constant=lambda name: pytest.fail(f"{name} in the API's JSON"))
    if response.status_code in (200, 201):
        assert_feeds_parse(Client())
        assert all(0 <= (a.start_seconds or 0) < float("inf") for a in LinkedArticle.objects.all())
