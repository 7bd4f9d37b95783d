"""Import benchmark: a generated archive of 2,000 posts in the live site's format.

Times a first `import_jekyll` and a re-import (which must change nothing), on a
fresh SQLite database in a temporary folder. Half the posts have a local MP3
(a real, short one), half an absolute cloud URL, like the real archive.
Run with `make bench-import` or `.venv/bin/python bench/import.py [POSTS]`.
"""

import io
import random
import shutil
import sys
import time
from datetime import date, timedelta
from pathlib import Path

from benchsite import ROOT, in_process_site

WORKDIR = in_process_site("zundapod-import-bench-")

from django.core.management import call_command  # noqa: E402

from episodes.catalogue.models import Episode, LinkedArticle  # noqa: E402

SHOWS = [
    ("ベンチ技術室AI放送局", "ずんだもん"),
    ("ベンチ女学園放送部", "お嬢様ずんだもん"),
    ("ベンチつむぎ放送局", "春日部つむぎ"),
]
WORDS = [
    "量子",
    "推論",
    "高速化",
    "エージェント",
    "検索",
    "画像認識",
    "音声合成",
    "データベース",
    "分散",
    "学習",
    "評価",
    "安全性",
    "ブラウザ",
    "開発基盤",
    "コンテナ",
]


def summary(rng: random.Random, n: int) -> str:
    sentences = [
        f"{rng.choice(WORDS)}と{rng.choice(WORDS)}について、**{rng.choice(WORDS)}**の観点から解説した記事です。"
        for _ in range(6)
    ]
    return "\n\n".join(
        ["".join(sentences[:3]), f"1. {rng.choice(WORDS)}\n2. {rng.choice(WORDS)}", "".join(sentences[3:])]
    )


def write_archive(site: Path, posts: int) -> None:
    rng = random.Random(42)
    (site / "_posts").mkdir(parents=True)
    (site / "_posts.bak").mkdir()
    (site / "audio").mkdir()
    actors = "".join(f"  {actor}:\n    name: {actor}\n    image_url: /images/{actor}.png\n" for _, actor in SHOWS)
    (site / "_config.yml").write_text(
        f"title: ベンチ放送局\ndescription: ベンチマーク用\nauthor: ベンチ\nemail: bench@example.jp\nurl: https://bench.example.jp/\nactors:\n{actors}",
        encoding="utf-8",
    )
    mp3 = ROOT / "tests" / "data" / "tone.mp3"
    start = date(2019, 1, 1)
    for n in range(1, posts + 1):
        day = start + timedelta(days=n)
        show, actor = SHOWS[n % len(SHOWS)]
        stem = f"{show}_podcast_{day:%Y%m%d}"
        if n % 2:
            audio = f"/audio/{stem}.mp3"
            shutil.copy(mp3, site / "audio" / f"{stem}.mp3")
        else:
            audio = f"https://storage.example.com/podcast/audio/{stem}.mp3"
        articles = "".join(
            f"- [{rng.choice(WORDS)}の話 {n}-{i}](https://news.example.com/{n}/{i})  \n\n\n{summary(rng, n)}\n\n引用元: https://news.example.com/{n}/{i}\n\n\n"
            for i in range(5)
        )
        text = (
            f"---\nactor_ids:\n  - {actor}\naudio_file_path: {audio}\naudio_file_size: 0\ndate: {day} 06:00:00 +0900\n"
            f"description: '{rng.choice(WORDS)}、{rng.choice(WORDS)} &amp; {rng.choice(WORDS)}'\nduration: \"00:00\"\nlayout: article\n"
            f"title: {show} podcast {day:%Y%m%d}\n---\n\n## youtube版(スライド付き)\n\n"
            f'<div class="article-video"><iframe src="https://www.youtube.com/embed/{n:011d}"></iframe></div>\n\n\n'
            f"## 関連リンク\n\n\n{articles}- [お便り投稿フォーム](https://forms.gle/bench)\n\nVOICEVOX:ずんだもん\n"
        )
        folder = "_posts" if n > posts - 67 else "_posts.bak"
        (site / folder / f"{day}-{n}.md").write_text(text, encoding="utf-8")


def timed_import(site: Path) -> tuple[float, str]:
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_jekyll", str(site), stdout=out, stderr=io.StringIO())
    return time.perf_counter() - started, out.getvalue().splitlines()[0]


def main() -> None:
    posts = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    call_command("migrate", verbosity=0)
    site = WORKDIR / "site"
    write_archive(site, posts)
    print(f"import benchmark: {posts} posts (5 articles each, half with a local MP3), SQLite in {WORKDIR}")
    first, line = timed_import(site)
    print(f"  first import  {first:6.1f} s  ({posts / first:5.0f} posts/s)  {line}")
    again, line = timed_import(site)
    print(f"  re-import     {again:6.1f} s  ({posts / again:5.0f} posts/s)  {line}")
    print(f"  rows: {Episode.objects.count()} episodes, {LinkedArticle.objects.count()} articles")
    shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
