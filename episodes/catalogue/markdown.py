"""Markdown to safe HTML, done once when content is saved (and for previews).

markdown-it-py: CommonMark with GitHub's tables and strikethrough, as the old
site's kramdown/GFM showed summaries (a list may follow a paragraph line,
single line breaks are kept, bare URLs become links). Its cost grows linearly
with the input; Python-Markdown took 30 s on `'[' * 10000`. nh3 then keeps
only the tags summaries and notes need.
"""

import re
from dataclasses import dataclass

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "strong",
    "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "style"},
    "td": {"align", "style"},
    "ol": {"start"},
}
# Table cells align with `style="text-align: …"`; nothing else may be styled.
ALLOWED_STYLES = {"th": {"text-align"}, "td": {"text-align"}}
# No javascript:, data: or vbscript: URLs anywhere.
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


@dataclass
class _Link:
    url: str
    text: str
    index: int
    last_index: int
    schema: str


class BareUrls:
    """Finds bare `http(s)://` and `www.` URLs for markdown-it's linkify rule, in one linear pass.

    linkify-it-py re-scans the rest of the text after every match (quadratic:
    8,000 `http://a` took seconds), so this small matcher takes its place.
    A URL is ASCII (Japanese text often follows one without a space) and
    loses trailing punctuation, as GitHub's autolinks do.
    """

    _URL = re.compile(r"(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE)
    _TRAILING = ".,:;!?'\"*_~"

    def pretest(self, text: str) -> bool:
        lowered = text.lower()
        return "://" in lowered or "www." in lowered

    def test(self, text: str) -> bool:
        return self._URL.search(text) is not None

    def match(self, text: str) -> list[_Link]:
        links = []
        for found in self._URL.finditer(text):
            url = found.group()
            while url and (url[-1] in self._TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))):
                url = url[:-1]
            if url.lower() in ("http://", "https://", "www.") or url.endswith("://"):
                continue
            schema = "" if url.lower().startswith("www.") else url.split(":", 1)[0].lower() + ":"
            full = url if schema else f"http://{url}"
            links.append(
                _Link(url=full, text=url, index=found.start(), last_index=found.start() + len(url), schema=schema)
            )
        return links


def _renderer() -> MarkdownIt:
    md = MarkdownIt("gfm-like", {"breaks": True, "html": True, "linkify": True})
    md.linkify = BareUrls()
    # The inline linkify rule slices the rest of the source at every `://` (quadratic);
    # the core rule, after inline parsing, finds the same URLs in one pass per text.
    md.inline.ruler.disable("linkify")
    return md


_MARKDOWN = _renderer()
# Without a `]` no link, image or reference can close, and the link rules' search for one is
# the costliest part of text like `'[' * 10000` (0.10 s → 0.015 s): the same output, cheaper.
_MARKDOWN_NO_LINKS = _renderer().disable(["link", "image", "reference"])


def sanitize_html(html: str) -> str:
    """Strip everything but the formatting tags summaries and notes need."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        filter_style_properties=set().union(*ALLOWED_STYLES.values()),
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> str:
    """Render Markdown and sanitise the result; markdownx previews use this too."""
    if not text or not text.strip():
        return ""
    renderer = _MARKDOWN if "]" in text else _MARKDOWN_NO_LINKS
    return sanitize_html(renderer.render(text))
