"""A second, independent reading of a post's articles: a Markdown parser over the 関連リンク section.

The importer reads articles line by line (`links.py`); if that reader drops an
article, counting with it again would hide the loss. Here CommonMark (markdown-it)
parses the post as a browser-bound renderer would, and every top-level list
item of the section whose text opens a link (`[`) is an article, the letter
form excepted. Link text broken over lines still opens its item with `[`, so
the shapes the line reader must join are counted too.
"""

from markdown_it import MarkdownIt

from episodes.publishing.importers.jekyll import split_front_matter
from episodes.publishing.importers.links import LETTER_FORM_HOSTS

SECTION = "関連リンク"
_parser = MarkdownIt("commonmark")


def count_articles(text: str) -> int:
    """How many articles a post's text lists under `## 関連リンク` (0 without the section)."""
    body = _body(text)
    tokens = _parser.parse(body)
    in_section, count = False, 0
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2" and tokens[index + 1].content.strip() == SECTION:
            in_section = True
        elif in_section and token.type == "list_item_open" and token.level == 1:
            inline = next((t for t in tokens[index + 1 :] if t.type == "inline"), None)
            content = inline.content.lstrip() if inline is not None else ""
            if content.startswith("[") and not _is_letter_form(content):
                count += 1
    return count


def _body(text: str) -> str:
    try:
        _, body, _ = split_front_matter(_NoPath, text)
    except ValueError:
        return text
    return body


def _is_letter_form(content: str) -> bool:
    head = content.split("\n", 1)[0]
    return "お便り" in head or any(host in head for host in LETTER_FORM_HOSTS)


class _NoPath:
    """split_front_matter names its file in errors; a text read here has none worth naming."""

    name = "post"
