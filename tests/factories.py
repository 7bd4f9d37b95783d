"""Small factory functions that make real rows, real images and real audio."""

from io import BytesIO
from itertools import count
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from episodes.models import Actor, Appearance, Episode, LinkedArticle, Show

DATA = Path(__file__).parent / "data"
MP3 = DATA / "tone.mp3"
M4A = DATA / "tone.m4a"

_serial = count(1)


def image_bytes(width: int = 64, height: int = 64, fmt: str = "PNG", color=(80, 160, 60)) -> bytes:
    """A real image, encoded by Pillow."""
    out = BytesIO()
    Image.new("RGB", (width, height), color).save(out, format=fmt)
    return out.getvalue()


def image_upload(name: str = "picture.png", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, image_bytes(**kwargs))


def mp3_upload(name: str = "episode.mp3") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MP3.read_bytes(), content_type="audio/mpeg")


def m4a_upload(name: str = "episode.m4a") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, M4A.read_bytes(), content_type="audio/mp4")


def make_actor(**fields) -> Actor:
    n = next(_serial)
    fields.setdefault("name", f"出演者{n}")
    fields.setdefault("slug", f"actor-{n}")
    fields.setdefault("credit", f"VOICEVOX:{fields['name']}")
    return Actor.objects.create(**fields)


def make_show(**fields) -> Show:
    n = next(_serial)
    fields.setdefault("name", f"番組{n}")
    fields.setdefault("slug", f"show-{n}")
    fields.setdefault("description", "テスト用の番組")
    fields.setdefault("author", "テスト放送局")
    fields.setdefault("owner_email", "owner@example.com")
    return Show.objects.create(**fields)


def make_episode(show=None, *, cast=(), articles=0, audio=True, **fields) -> Episode:
    """A published episode; `audio=True` attaches the real test MP3 by URL-free upload."""
    show = show or make_show()
    n = next(_serial)
    fields.setdefault("number", n)
    fields.setdefault("title", f"{show.name} podcast {n}")
    fields.setdefault("status", Episode.Status.PUBLISHED)
    fields.setdefault("published_at", timezone.now() - timezone.timedelta(hours=n))
    fields.setdefault("description", "テストのエピソード")
    if audio is True:
        fields.setdefault("audio_file", mp3_upload(f"ep{n}.mp3"))
    elif isinstance(audio, str):
        fields.setdefault("audio_url", audio)
    episode = Episode.objects.create(show=show, **fields)
    for position, actor in enumerate(cast):
        Appearance.objects.create(episode=episode, actor=actor, position=position)
    for position in range(articles):
        LinkedArticle.objects.create(
            episode=episode,
            position=position,
            title=f"記事{position}",
            url=f"https://example.com/{n}/{position}",
            summary=f"**要約** {position}",
        )
    return episode
