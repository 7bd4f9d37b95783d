"""Text that XML 1.0 can carry: what every stored field is cleaned to.

Feeds are XML, and one character outside XML 1.0's `Char` production (a C0
control pasted from a PDF, U+FFFE, a lone surrogate) makes a feed unreadable
to every podcast app. So text is cleaned once where it enters, on every model
save (`models.text.CleanTextModel`), and the feed writer cleans again as its
last line of defence. TAB, LF and CR stay; everything else below U+0020 goes.
"""

import re

# The complement of XML 1.0's Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
NOT_XML_CHAR = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SURROGATE = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """The text without the characters XML 1.0 cannot carry.

    Surrogate pairs are joined first: YAML and JSON written with `\\ud83d\\ude00`
    escapes decode an emoji as two halves, which UTF-8 cannot encode.
    """
    if SURROGATE.search(value):
        value = value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    return NOT_XML_CHAR.sub("", value)


def clean_data(value):
    """`clean_text` through JSON-like data (lists, dicts, strings), leaving other values as they are."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list | tuple):
        return [clean_data(item) for item in value]
    if isinstance(value, dict):
        return {clean_text(key) if isinstance(key, str) else key: clean_data(item) for key, item in value.items()}
    return value
