"""Demo content for `make run`: our own text, in the shape of the real archive.

Loaded only into a database that holds no episodes, so it is never mixed into
real data. Images are drawn with Pillow; the MP3s beside this file are short
generated chimes (see `audio/README.md`).
"""

from datetime import timedelta
from io import BytesIO
from pathlib import Path

from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw

from ..models import Actor, Appearance, Episode, LinkedArticle, Show, Station

AUDIO_DIR = Path(__file__).parent / "audio"

ACTORS = [
    {
        "name": "ずんだもん",
        "slug": "zundamon",
        "color": (120, 190, 80),
        "bio": "ずんだ餅の妖精。**平日**のニュースを担当するのだ。",
    },
    {
        "name": "お嬢様ずんだもん",
        "slug": "ojousama-zundamon",
        "color": (200, 150, 210),
        "bio": "女学園放送部のパーソナリティですわ。",
    },
    {
        "name": "春日部つむぎ",
        "slug": "kasukabe-tsumugi",
        "color": (250, 190, 90),
        "bio": "月曜日のニュースをお届けする高校生。",
    },
]

SHOWS = [
    {
        "name": "ずんだもん技術室デモ放送",
        "slug": "gijutsushitsu-demo",
        "description": "AIとテクノロジーのニュースを平日の朝に届けるデモ番組なのだ。",
        "long_description": "AIとテクノロジーのニュースを平日の朝に届けるデモ番組なのだ。通勤や支度の時間に聞いてほしいのだ。（デモ用の架空の番組です）",
        "hosts": ["zundamon"],
        "color": (76, 175, 80),
    },
    {
        "name": "ずんだもん女学園デモ放送部",
        "slug": "jogakuen-demo",
        "description": "お嬢様ずんだもんが金曜日のトレンドをご紹介するデモ番組ですわ。",
        "long_description": "お嬢様ずんだもんが金曜日のトレンドをご紹介するデモ番組ですわ。（デモ用の架空の番組です）",
        "hosts": ["ojousama-zundamon"],
        "color": (171, 71, 188),
    },
]

# (show slug, cast slugs, days ago (negative: future), youtube id, notice, articles)
EPISODES = [
    (
        "gijutsushitsu-demo",
        ["kasukabe-tsumugi"],
        4,
        "",
        "",
        [
            (
                "小さな言語モデルを手元で動かす入門",
                "https://example.com/news/small-llm",
                "ノートPCでも動く**小型の言語モデル**の選び方と、量子化の基本をまとめた記事です。\n\n- メモリが少なくても動かせる\n- 応答の速さと精度のバランスが大事",
            ),
            (
                "データベースの書き込みが詰まる理由",
                "https://example.com/news/db-locks",
                "同時に書き込むときの**ロック**の仕組みと、待ち時間を設定して失敗を減らす方法を紹介しています。",
            ),
        ],
    ),
    (
        "gijutsushitsu-demo",
        ["zundamon"],
        3,
        "zundaDemo01",
        "来週の水曜日はお休みなのだ。",
        [
            (
                "音声合成キャラクターで作るポッドキャスト",
                "https://example.com/news/voice-podcast",
                "台本から音声とスライドを自動で作るパイプラインの事例です。\n\n### ポイント\n\n1. 台本をテキストで管理\n2. スライドの時刻で章を作る",
            ),
            (
                "ブラウザだけで動く画像認識",
                "https://example.com/news/browser-vision",
                "WebGPU を使ってブラウザの中で画像認識を動かす試みを紹介した記事です。*インストール不要*で試せます。",
            ),
            (
                "小さなチームのためのコードレビュー",
                "https://example.com/news/code-review",
                "レビューを速く回すための工夫として、変更を小さく保つことと自動テストの大切さが語られています。",
            ),
        ],
    ),
    (
        "jogakuen-demo",
        ["ojousama-zundamon"],
        2,
        "",
        "",
        [
            (
                "紅茶の温度を測る IoT センサーの自作",
                "https://example.com/news/tea-iot",
                "小さなマイコンと温度センサーで、紅茶の飲み頃を知らせる装置を作った記録ですわ。",
            ),
        ],
    ),
    (
        "gijutsushitsu-demo",
        ["zundamon", "kasukabe-tsumugi"],
        1,
        "",
        "",
        [
            (
                "ポッドキャストのフィードを正しく書く",
                "https://example.com/news/podcast-feed",
                "音声ファイルのサイズと長さを正しく書かないと、アプリが再生位置を覚えられないことがあるそうです。",
            ),
            (
                "Range リクエストとは",
                "https://example.com/news/http-range",
                "音声の途中から再生するとき、ブラウザはファイルの一部だけを `Range` ヘッダーで要求します。",
            ),
        ],
    ),
    # Scheduled: must not appear anywhere public until its date.
    (
        "jogakuen-demo",
        ["ojousama-zundamon"],
        -30,
        "",
        "",
        [("予約公開のテスト記事", "https://example.com/news/scheduled", "この記事は予約公開のデモですわ。")],
    ),
]


# Episode 2 shows chapters and a transcript: article start times in its
# 4-second chime, and a short script of our own.
DEMO_STARTS = {2: [0.8, 2.0, 3.0]}
DEMO_TRANSCRIPTS = {
    2: "おはようございます、ずんだもんなのだ。\n今日は三本のニュースを紹介するのだ。\n"
    "一本目は、音声合成キャラクターで作るポッドキャストの話なのだ。\n"
    "二本目は、ブラウザだけで動く画像認識なのだ。\n"
    "三本目は、小さなチームのためのコードレビューなのだ。\nまた明日なのだ。",
}


def _png(size: int, color: tuple[int, int, int], *, circle: bool) -> ContentFile:
    """Draw a simple cover or portrait, so demo pages have real images."""
    image = Image.new("RGB", (size, size), (250, 253, 245) if circle else color)
    draw = ImageDraw.Draw(image)
    if circle:
        draw.ellipse((size * 0.1, size * 0.1, size * 0.9, size * 0.9), fill=color)
    else:
        light = tuple(min(c + 60, 255) for c in color)
        draw.ellipse((size * 0.2, size * 0.2, size * 0.8, size * 0.8), fill=light)
        draw.ellipse((size * 0.38, size * 0.38, size * 0.62, size * 0.62), fill=(255, 255, 255))
    out = BytesIO()
    image.save(out, format="PNG")
    return ContentFile(out.getvalue())


@transaction.atomic
def load_demo_content() -> int:
    """Create demo shows, cast and episodes; returns how many episodes were made."""
    actors = {}
    for data in ACTORS:
        actor = Actor(name=data["name"], slug=data["slug"], credit=f"VOICEVOX:{data['name']}", bio=data["bio"])
        actor.image.save(f"{data['slug']}.png", _png(256, data["color"], circle=True), save=False)
        actor.save()
        actors[actor.slug] = actor

    station = Station.load()
    station.name = "ずんだもん技術室デモ局"
    station.description = "AIとテクノロジーのニュースを平日の朝に届けるデモ放送局なのだ。"
    station.long_description = "平日の朝、AIとテクノロジーのニュースを合成音声のキャラクターが届けるデモ放送局です。（デモ用の架空の放送局です）"
    station.author = "ずんだもん技術室デモ局"
    station.owner_name = "デモ局の編集部"
    station.owner_email = "podcast@example.com"
    station.copyright = "© ずんだもん技術室デモ局"
    station.artwork.save("station.png", _png(1400, (56, 142, 60), circle=False), save=False)
    station.save()

    shows = {}
    for data in SHOWS:
        show = Show(
            name=data["name"],
            slug=data["slug"],
            description=data["description"],
            long_description=data["long_description"],
            author="ずんだもん技術室デモ局",
            owner_name="デモ局の編集部",
            owner_email="podcast@example.com",
            copyright="© ずんだもん技術室デモ局",
        )
        show.artwork.save(f"{data['slug']}.png", _png(1400, data["color"], circle=False), save=False)
        show.save()
        show.hosts.set([actors[slug] for slug in data["hosts"]])
        shows[show.slug] = show

    now = timezone.localtime().replace(hour=6, minute=0, second=0, microsecond=0)
    for number, (show_slug, cast, days_ago, youtube_id, notice, articles) in enumerate(EPISODES, start=1):
        show = shows[show_slug]
        published_at = now - timedelta(days=days_ago)
        titles = [title for title, _, _ in articles]
        episode = Episode(
            show=show,
            number=number,
            title=show.default_title(published_at),
            published_at=published_at,
            status=Episode.Status.PUBLISHED,
            description="、".join(titles),
            notice=notice,
            youtube_url=f"https://www.youtube.com/watch?v={youtube_id}" if youtube_id else "",
            transcript=DEMO_TRANSCRIPTS.get(number, ""),
        )
        audio_path = AUDIO_DIR / f"demo-{number}.mp3"
        with audio_path.open("rb") as audio:
            episode.audio_file = File(audio, name=f"{show.name}_podcast_{published_at:%Y%m%d}.mp3")
            episode.save()
        for position, slug in enumerate(cast):
            Appearance.objects.create(episode=episode, actor=actors[slug], position=position)
        starts = DEMO_STARTS.get(number, [None] * len(articles))
        for position, ((title, url, summary), start) in enumerate(zip(articles, starts, strict=True)):
            LinkedArticle.objects.create(
                episode=episode, position=position, title=title, url=url, summary=summary, start_seconds=start
            )
    return len(EPISODES)
