"""The one normalisation shared by the search index and the query.

NFKC folds full-width letters and digits to their usual forms (ＡＩ → AI,
１２３ → 123) and half-width katakana to full-width; lower-casing makes Latin
letters case-insensitive. Whitespace runs become one space.
"""

import unicodedata
from urllib.parse import urlsplit


def normalize(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").lower().split())


def domain(url: str) -> str:
    """`https://www.example.com/a` → `example.com`, searchable beside the summary."""
    host = (urlsplit(url).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host
