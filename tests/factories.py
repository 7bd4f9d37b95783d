"""Small factory functions that make real rows, real images and real audio."""

from datetime import timedelta
from io import BytesIO
from itertools import count
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from episodes.catalogue.models import Actor, Appearance, Episode, LinkedArticle, Show, Station

DATA = Path(__file__).parent / "data"
MP3 = DATA / "tone.mp3"
M4A = DATA / "tone.m4a"

_serial = count(1)


def image_bytes(width: int = 64, height: int = 64, fmt: str = "PNG", color=(80, 160, 60), mode: str = "RGB") -> bytes:
    """A real image, encoded by Pillow."""
    out = BytesIO()
    Image.new(mode, (width, height), color).save(out, format=fmt)
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


def make_daily_show(episodes: int = 3) -> Show:
    """The station and one show, `daily`, with episodes 1..n titled 放送 n: a site small enough to read whole."""
    Station.load()  # created on first use, which moves the revision
    show = make_show(slug="daily")
    for number in range(1, episodes + 1):
        make_episode(show=show, number=number, title=f"放送 {number}")
    return show


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


def bulk_archive(show, actors, count, *, articles=3, start=1000):
    """Many published episodes with cast and articles, inserted in bulk."""
    now = timezone.now()
    episodes = Episode.objects.bulk_create(
        Episode(
            show=show,
            number=start + i,
            title=f"{show.name} podcast {i}",
            status=Episode.Status.PUBLISHED,
            published_at=now - timedelta(days=i + 1),
            audio_url=f"https://cdn.example.com/{i}.mp3",
            audio_size=1000 + i,
            audio_duration=300.0,
            guid=f"https://example.com/episode/{start + i}",
        )
        for i in range(count)
    )
    Appearance.objects.bulk_create(
        Appearance(episode=e, actor=actor, position=p) for e in episodes for p, actor in enumerate(actors)
    )
    LinkedArticle.objects.bulk_create(
        LinkedArticle(episode=e, position=p, title=f"記事{p}", url=f"https://n.example.com/{e.number}/{p}")
        for e in episodes
        for p in range(articles)
    )
    return episodes


def episode_form(show, **overrides):
    """The POST an editor's browser sends from the episode form."""
    when = timezone.localtime() - timedelta(hours=1)
    data = {
        "show": show.pk,
        "number": 100,
        "title": f"{show.name} podcast 20260821",
        "status": "published",
        "published_at_0": when.strftime("%Y-%m-%d"),
        "published_at_1": when.strftime("%H:%M:%S"),
        "description": "今日の内容",
        "notice": "",
        "notes": "",
        "audio_url": "",
        "youtube_url": "https://youtu.be/0aR63e1eKtA",
        "appearances-TOTAL_FORMS": "0",
        "appearances-INITIAL_FORMS": "0",
        "articles-TOTAL_FORMS": "2",
        "articles-INITIAL_FORMS": "0",
        "articles-0-position": "1",
        "articles-0-title": "二番目の記事",
        "articles-0-url": "https://example.com/b",
        "articles-0-summary": "**B**",
        "articles-0-citation_url": "",
        "articles-0-start_seconds": "",
        "articles-1-position": "0",
        "articles-1-title": "一番目の記事",
        "articles-1-url": "https://example.com/a",
        "articles-1-summary": "<script>alert(1)</script>A",
        "articles-1-citation_url": "https://source.example.com/a",
        "articles-1-start_seconds": "12.5",
        "_save": "保存",
    }
    data.update(overrides)
    return data


# The pipeline's daily post, as publish_episode and the API receive it.
POST = """---
actor_ids:
  - ずんだもん
audio_file_path: /audio/毎朝の番組_podcast_20260105.mp3
date: 2026-01-05 06:00:00 +0900
description: '一本目、二本目'
title: 毎朝の番組 podcast 20260105
---

## 関連リンク

- [一本目の記事](https://example.com/one)

一本目の**要約**。

引用元: https://example.com/one

- [二本目の記事](https://example.com/two)

二本目の要約。

引用元: https://example.com/two

- [お便り投稿フォーム](https://forms.gle/x)

VOICEVOX:ずんだもん
"""


POST_NAME = "2026-01-05-600.md"
POST_STEM = "毎朝の番組_podcast_20260105"


def pipeline_upload(*, post: str = POST, timeline: bytes | None = None, **values) -> dict:
    """A POST /api/v1/episodes body: the daily post, the test MP3, an optional raw timeline, and values."""
    data = {
        "post": SimpleUploadedFile(POST_NAME, post.encode(), content_type="text/markdown"),
        "audio": SimpleUploadedFile(f"{POST_STEM}.mp3", MP3.read_bytes(), content_type="audio/mpeg"),
        **values,
    }
    if timeline is not None:
        data["timeline"] = SimpleUploadedFile(f"{POST_STEM}.json", timeline)
    return data


# --- small Jekyll archives in the old site's format (our own text) ----------------------------


def jekyll_config(*, title: str = "テスト局", url: str = "https://old.example.jp/", actor_image: str = "") -> str:
    """A `_config.yml` with one voice, ずんだもん."""
    image = f"\n    image_url: {actor_image}" if actor_image else ""
    return (
        f"title: {title}\ndescription: {title}の説明。\nauthor: {title}\nemail: station@example.jp\nurl: {url}\n"
        "permalink: /episode/:title\n"
        f"actors:\n  ずんだもん:\n    name: ずんだもん{image}\n"
    )


def jekyll_post(
    serial: int,
    *,
    day: str,
    show: str = "テスト番組",
    audio: str = "",
    image: str = "",
    thumbnail: str = "",
    articles: int = 0,
) -> str:
    """A post of `<show> podcast 202601<day>`; audio defaults to `/audio/<show>_podcast_202601<day>.mp3`."""
    audio = audio or f"/audio/{show}_podcast_202601{day}.mp3"
    fields = (f"image_url: {image}\n" if image else "") + (f"thumbnail_url: {thumbnail}\n" if thumbnail else "")
    links = "".join(
        f"- [記事{n}](https://news.example.com/{serial}/{n})\n\n要約{n}。\n\n引用元: https://news.example.com/{serial}/{n}\n\n"
        for n in range(articles)
    )
    return (
        f"---\nactor_ids:\n  - ずんだもん\naudio_file_path: {audio}\ndate: 2026-01-{day} 06:00:00 +0900\n"
        f"title: {show} podcast 202601{day}\n{fields}---\n\n" + (f"## 関連リンク\n\n{links}" if articles else "")
    )


def jekyll_site(root: Path, config: str) -> Path:
    """An empty old-site folder laid out as the repository is, with the given config."""
    for folder in ("_posts", "_posts.bak", "audio", "images/actors", "public/images/thumbs"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text(config, encoding="utf-8")
    return root


def add_post(site: Path, text: str, *, serial: int, day: str, folder: str = "_posts", mp3: str = "") -> None:
    """Write a post (and, with `mp3`, a real MP3 under that name in audio/)."""
    (site / folder / f"2026-01-{day}-{serial}.md").write_text(text, encoding="utf-8")
    if mp3:
        (site / "audio" / mp3).write_bytes(MP3.read_bytes())


def write_post(folder: Path, name: str, text: str) -> Path:
    """A post file with the given text (folders made as needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
