"""An episode's show notes for feeds: whole in content:encoded, short in the description.

Apple reads at most 4,000 bytes of an item's <description> and renders only
<p>, <ol>, <ul>, <li> and <a> there; the full notes (summaries, citations,
credits) go in content:encoded, which apps show as the episode's notes.
"""

from django.template.defaultfilters import linebreaksbr
from django.utils.html import format_html, format_html_join, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

DESCRIPTION_MAX_BYTES = 4000


def show_notes_html(episode) -> str:
    """An item's show notes, assembled from stored HTML (no Markdown at build time)."""
    parts = []
    if episode.notice:
        parts.append(format_html("<p><strong>お知らせ</strong><br>{}</p>", linebreaksbr(episode.notice)))
    if episode.description:
        parts.append(format_html("<p>{}</p>", linebreaksbr(episode.description)))
    articles = list(episode.articles.all())
    if articles:
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a>{}<p>引用元: <a href="{}">{}</a></p></li>',
            (
                (a.url, a.title, mark_safe(a.summary_html), a.citation_url, a.citation_url)  # sanitised when saved
                for a in articles
            ),
        )
        parts.append(format_html("<h3>関連リンク</h3><ol>{}</ol>", items))
    if episode.notes_html:
        parts.append(episode.notes_html)
    parts.extend(format_html("<p>{}</p>", credit) for credit in episode.credits)
    return "".join(str(part) for part in parts)


def _fits(html: str, limit: int) -> bool:
    return len(html.encode()) <= limit


def item_description(episode, limit: int = DESCRIPTION_MAX_BYTES) -> str:
    """The item's <description>: notice, description and the linked articles' titles, within `limit` bytes.

    Articles that do not fit are counted instead of listed; text too long on
    its own is cut at a character boundary with an ellipsis.
    """
    text = [format_html("<p>{}</p>", part) for part in (episode.notice, episode.description) if part]
    articles = list(episode.articles.all())
    links = [format_html('<li><a href="{}">{}</a></li>', a.url, a.title) for a in articles]
    for shown in range(len(links), -1, -1):
        items = links[:shown]
        if shown < len(links):
            items.append(format_html("<li>ほか {} 件（番組ページに全文）</li>", len(links) - shown))
        html = "".join(text) + (f"<ol>{''.join(items)}</ol>" if items else "")
        if _fits(html, limit):
            return html
    # The text alone is too long: plain text, cut to fit.
    plain = strip_tags("\n".join(part for part in (episode.notice, episode.description) if part))

    def cut(chars: int) -> str:
        return format_html("<p>{}</p>", Truncator(plain).chars(chars))

    low, high = 0, len(plain)  # the longest cut that fits, by bisection (longer cuts never fit better)
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if _fits(cut(middle), limit) else (low, middle - 1)
    return cut(low) if low else ""
