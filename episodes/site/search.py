"""Japanese full-text search over episodes and the articles they cover.

Japanese has no spaces between words, so the index is character n-grams:
SQLite's FTS5 `trigram` tokenizer in the embedded default, `pg_trgm` on
PostgreSQL. Both index the normalised copies (`search_title`, `search_body`)
that episodes and articles write on save (see `search_text.normalize`).

Every query term must appear in one row: an episode (title; description and
notice) or one of its articles (title; summary and the link's domain).
Results: title matches first, then newer first. Terms of one or two
characters cannot use trigrams; they take a LIKE scan over the same columns.
The view only calls `search()`; nothing outside this module knows the backend.
"""

import html
import re
from dataclasses import dataclass, field

from django.core.checks import Warning as CheckWarning
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Prefetch, Q, Value, When, Window
from django.db.models.expressions import RawSQL
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from episodes.catalogue.search_text import normalize

FTS_TABLE = "episodes_search_fts"
MAX_QUERY_CHARS = 200
MAX_TERMS = 8
EXCERPT_CHARS = 60
_SURROGATES = re.compile(r"[\ud800-\udfff]")

# Rowids: 2*id for an episode's own row, 2*id+1 for an article's row, so the
# triggers find a row to replace by rowid instead of scanning the index.
_SQLITE_SETUP = [
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(episode_id UNINDEXED, title, body, tokenize='trigram')",
    f"""CREATE TRIGGER IF NOT EXISTS episodes_search_episode_insert AFTER INSERT ON catalogue_episode BEGIN
        INSERT INTO {FTS_TABLE}(rowid, episode_id, title, body) VALUES (2 * new.id, new.id, new.search_title, new.search_body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS episodes_search_episode_update
        AFTER UPDATE OF search_title, search_body ON catalogue_episode BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = 2 * old.id;
        INSERT INTO {FTS_TABLE}(rowid, episode_id, title, body) VALUES (2 * new.id, new.id, new.search_title, new.search_body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS episodes_search_episode_delete AFTER DELETE ON catalogue_episode BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = 2 * old.id;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS episodes_search_article_insert AFTER INSERT ON catalogue_linkedarticle BEGIN
        INSERT INTO {FTS_TABLE}(rowid, episode_id, title, body)
        VALUES (2 * new.id + 1, new.episode_id, new.search_title, new.search_body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS episodes_search_article_update
        AFTER UPDATE OF search_title, search_body, episode_id ON catalogue_linkedarticle BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = 2 * old.id + 1;
        INSERT INTO {FTS_TABLE}(rowid, episode_id, title, body)
        VALUES (2 * new.id + 1, new.episode_id, new.search_title, new.search_body);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS episodes_search_article_delete AFTER DELETE ON catalogue_linkedarticle BEGIN
        DELETE FROM {FTS_TABLE} WHERE rowid = 2 * old.id + 1;
    END""",
]
_POSTGRES_SETUP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS {table}_{column}_trgm ON {table} USING gin ({column} gin_trgm_ops)"
        for table in ("catalogue_episode", "catalogue_linkedarticle")
        for column in ("search_title", "search_body")
    ),
]


# --- the index ---------------------------------------------------------------------


def sqlite_has_trigram(conn) -> bool:
    import sqlite3

    return conn.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 34, 0)


def install_index(conn) -> None:
    """Create the index structures for this database (idempotent: IF NOT EXISTS)."""
    with conn.cursor() as cursor:
        if sqlite_has_trigram(conn):
            for statement in _SQLITE_SETUP:
                cursor.execute(statement)
        elif conn.vendor == "postgresql":
            for statement in _POSTGRES_SETUP:
                cursor.execute(statement)


def ensure_index(conn) -> bool:
    """Create or repair the index after every `migrate`; True when it had to be (re)filled.

    The index lives here, not in a migration, so refactoring this module never
    rewrites migration history. A post_migrate receiver calls this: it builds the
    index on a new database, and on SQLite it puts back the triggers that a
    migration rebuilding the episodes or articles table dropped with it.
    """
    if conn.vendor == "postgresql":
        install_index(conn)
        return False
    if not sqlite_has_trigram(conn):
        return False
    if FTS_TABLE in conn.introspection.table_names():
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'episodes_search_%'"
            )
            (present,) = cursor.fetchone()
        if present == len(_SQLITE_SETUP) - 1:
            return False
    install_index(conn)
    refill_index(conn)
    return True


def _uses_fts() -> bool:
    """Whether this database has the FTS5 index (looked up once per connection)."""
    known = getattr(connection, "_zundapod_has_fts", None)
    if known is None:
        known = sqlite_has_trigram(connection) and FTS_TABLE in connection.introspection.table_names()
        connection._zundapod_has_fts = known
    return known


def rebuild_index() -> int:
    """Recompute every normalised column and refill the index; returns rows indexed."""
    from episodes.catalogue.models import Episode, LinkedArticle

    episodes = list(Episode.objects.select_related("show").only("id", "title", "description", "notice", "show__name"))
    for episode in episodes:
        episode.refresh_search_fields()
    Episode.objects.bulk_update(episodes, ["search_title", "search_body"], batch_size=500)
    articles = list(LinkedArticle.objects.only("id", "title", "summary", "url"))
    for article in articles:
        article.refresh_search_fields()
    LinkedArticle.objects.bulk_update(articles, ["search_title", "search_body"], batch_size=500)
    refill_index(connection)
    return len(episodes) + len(articles)


def refill_index(conn) -> None:
    """Fill the SQLite index from the normalised columns (PostgreSQL's indexes need no filling)."""
    if not (sqlite_has_trigram(conn) and FTS_TABLE in conn.introspection.table_names()):
        return
    with conn.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, episode_id, title, body) "
            "SELECT 2 * id, id, search_title, search_body FROM catalogue_episode"
        )
        cursor.execute(
            f"INSERT INTO {FTS_TABLE}(rowid, episode_id, title, body) "
            "SELECT 2 * id + 1, episode_id, search_title, search_body FROM catalogue_linkedarticle"
        )
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")


def check_database(**kwargs) -> list:
    """pg_trgm drops characters its ctype does not call letters: Japanese needs a UTF-8 ctype."""
    if connection.vendor != "postgresql":
        return []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT datctype FROM pg_database WHERE datname = current_database()")
            (ctype,) = cursor.fetchone()
    except Exception:  # noqa: BLE001 - no database yet is not this check's problem
        return []
    if "utf" in ctype.lower().replace("-", ""):
        return []
    return [
        CheckWarning(
            f"PostgreSQL database ctype is {ctype!r}: pg_trgm will drop Japanese characters, so search finds nothing.",
            hint="Create the database with a UTF-8 ctype, e.g. LC_CTYPE='C.UTF-8' (TEMPLATE template0).",
            id="episodes.W001",
        )
    ]


# --- the query -----------------------------------------------------------------------


def clean_query(text: str) -> str:
    """What is safe to search for: no lone surrogates or control characters, capped in length."""
    text = _SURROGATES.sub("", text or "")
    text = "".join(ch for ch in text if ch.isprintable() or ch.isspace())
    return text.strip()[:MAX_QUERY_CHARS]


def terms_of(query: str) -> list[str]:
    return list(dict.fromkeys(normalize(query).split()))[:MAX_TERMS]


def _quoted(term: str) -> str:
    """One FTS5 string: operators and quotes inside it are just characters."""
    return '"' + term.replace('"', '""') + '"'


def _every(terms: list[str], columns: tuple[str, ...]) -> Q:
    """Every term in one of the columns (LIKE '%term%' on the normalised text)."""
    condition = Q()
    for term in terms:
        either = Q()
        for column in columns:
            either |= Q(**{f"{column}__contains": term})
        condition &= either
    return condition


def _matching(episodes, terms: list[str]):
    """Filter to episodes with a row holding every term, annotated with `title_hit`.

    With the FTS5 index both questions are uncorrelated `id IN (…)` subqueries
    on it, each run once (the title one restricted to the title column). For
    short terms, a LIKE scan finds the matches, and whether one is in a title
    is a LIKE on the matched episodes' short titles and, through the article
    table's episode index, their articles' titles (measured faster there).
    """
    from episodes.catalogue.models import LinkedArticle

    titles = ("search_title",)
    both = ("search_title", "search_body")
    if _uses_fts() and all(len(term) >= 3 for term in terms):
        expression = " AND ".join(_quoted(term) for term in terms)
        match = f"SELECT episode_id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
        anywhere = Q(pk__in=RawSQL(match, [expression]))
        in_an_article_title = Q(pk__in=RawSQL(match, [f"title : ({expression})"]))
    else:
        articles = LinkedArticle.objects.values("episode_id")
        anywhere = _every(terms, both) | Q(pk__in=articles.filter(_every(terms, both)))
        in_an_article_title = Exists(LinkedArticle.objects.filter(_every(terms, titles), episode=OuterRef("pk")))
    return episodes.filter(anywhere).annotate(
        title_hit=Case(
            When(_every(terms, titles), then=Value(1)),
            When(in_an_article_title, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )


def for_results_page(results):
    """What a results page prints: the show, and just enough of each article to explain the match."""
    from episodes.catalogue.models import LinkedArticle

    articles = LinkedArticle.objects.only(
        "id",
        "episode_id",
        "position",
        "title",
        "url",
        "start_seconds",
        "summary",
        "summary_html",
        "search_title",
        "search_body",
    )
    return results.select_related("show").prefetch_related(Prefetch("articles", queryset=articles))


MAX_PAGE = 1_000_000


def results_page(results, number, per_page: int) -> Page:
    """One page of results and the total, evaluating the match once.

    A paginator would count first and then fetch the page, running the match
    twice. Here one lean query returns the page's ids with a window count of
    all matches; a second fetches just those episodes (long columns such as
    transcripts never ride along through the sort).
    """
    from episodes.catalogue.models import Episode

    try:
        # Past the last page shows the last page; the cap keeps the OFFSET within 64 bits.
        number = min(max(1, int(number)), MAX_PAGE)
    except (TypeError, ValueError):
        number = 1
    ranked = results.annotate(total_hits=Window(Count("pk"))).values_list("pk", "total_hits")

    def ids_on(n: int) -> list[tuple[int, int]]:
        return list(ranked[(n - 1) * per_page : n * per_page])

    rows = ids_on(number)
    total = rows[0][1] if rows else (results.count() if number > 1 else 0)
    paginator = Paginator(results, per_page)
    paginator.count = total  # known already: no COUNT query
    if not rows and number > 1 and total:
        number = paginator.num_pages
        rows = ids_on(number)
    order = [pk for pk, _ in rows]
    episodes = for_results_page(Episode.objects.filter(pk__in=order)).defer(
        "transcript", "transcript_cues", "notes", "notes_html", "search_body"
    )
    by_pk = {episode.pk: episode for episode in episodes}
    return Page([by_pk[pk] for pk in order], number, paginator)


@dataclass
class MatchedArticle:
    """An article that matched: its highlighted title, its link and where the episode reaches it."""

    title: SafeString
    url: str
    start_seconds: float | None


@dataclass
class Hit:
    """One episode in the results, with what to show about why it matched."""

    episode: object
    excerpt: SafeString
    articles: list[MatchedArticle] = field(default_factory=list)

    @property
    def article_titles(self) -> list[SafeString]:
        return [article.title for article in self.articles]


def search(query: str, *, show=None, actor=None, year: int | None = None):
    """Published episodes matching `query`, best first, as a queryset (empty for an empty query)."""
    from episodes.catalogue.models import Episode

    terms = terms_of(clean_query(query))
    episodes = Episode.objects.published()
    if show is not None:
        episodes = episodes.filter(show=show)
    if actor is not None:
        # A subquery, not a join: no duplicate rows, so no DISTINCT to pay for.
        episodes = episodes.filter(pk__in=actor.appearances.values("episode_id"))
    if year:
        episodes = episodes.in_year(year)
    if not terms:
        return episodes.none()
    return _matching(episodes, terms).order_by("-title_hit", "-published_at", "-number")


def highlight(text: str, terms: list[str], *, width: int = EXCERPT_CHARS) -> SafeString:
    """A short, escaped excerpt of `text` around the first term, with every term in <mark>."""
    shown = normalize_for_display(text)
    lowered = shown.lower()
    if len(lowered) != len(shown):  # a few characters change length when lower-cased
        shown = lowered
    positions = [lowered.find(term) for term in terms if lowered.find(term) >= 0]
    if not positions:
        return escape(shown[: width * 2]) + ("…" if len(shown) > width * 2 else "")
    start = max(min(positions) - width // 2, 0)
    end = min(start + width * 2, len(shown))
    window = shown[start:end]
    pattern = re.compile("|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    pieces, cursor = [], 0
    for found in pattern.finditer(window):
        pieces.append(escape(window[cursor : found.start()]))
        pieces.append(f"<mark>{escape(found.group())}</mark>")
        cursor = found.end()
    pieces.append(escape(window[cursor:]))
    return mark_safe(("…" if start else "") + "".join(pieces) + ("…" if end < len(shown) else ""))  # noqa: S308


def normalize_for_display(text: str) -> str:
    """NFKC without lower-casing, so the excerpt reads as written but matches the index."""
    import unicodedata

    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def explain(episodes, query: str) -> list[Hit]:
    """For a page of results: an excerpt and the titles of the articles that matched."""
    terms = terms_of(clean_query(query))
    hits = []
    for episode in episodes:
        own = f"{episode.title} {episode.description} {episode.notice}"
        articles = [a for a in episode.articles.all() if all(t in f"{a.search_title} {a.search_body}" for t in terms)]
        body = f"{episode.description} {episode.notice}".strip()
        if articles and not all(t in normalize(own) for t in terms):
            source = html.unescape(strip_tags(articles[0].summary_html)) or articles[0].summary
        elif any(t in normalize(body) for t in terms) or not body:
            source = body or episode.title
        else:
            source = episode.title
        excerpt = highlight(source, terms)
        matched = [MatchedArticle(highlight(a.title, terms), a.url, a.start_seconds) for a in articles]
        hits.append(Hit(episode=episode, excerpt=excerpt, articles=matched))
    return hits
