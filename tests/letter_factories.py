"""Letters for tests, in the style of `factories.py`: real rows, real form data."""

from itertools import count

from django.utils import timezone

from episodes.letters.models import Letter

_serial = count(1)


def letter_data(**overrides) -> dict:
    """The POST a listener's browser sends from the letters form."""
    n = next(_serial)
    data = {
        "radio_name": f"ずんだ餅{n}",
        "message": f"いつも楽しく聞いています。\r\n質問です（{n}）。",
        "show": "",
        "episode": "",
        "email": "",
        "website": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make_letter(**fields) -> Letter:
    """A stored letter, as the form would have stored it."""
    n = next(_serial)
    fields.setdefault("radio_name", f"リスナー{n}")
    fields.setdefault("message", f"お便り{n}の本文です。\n二行目です。")
    fields.setdefault("received_at", timezone.now())
    return Letter.objects.create(**fields)
