"""Search benchmark: 10,000 episodes with 5 articles each of generated Japanese text.

Measures p50/p95 of `/search/` (the real view, first page) for 3+ character,
2-character and Latin queries, next to a naive `icontains` over the same data.
Fresh SQLite database in a temporary folder; set DATABASE_URL to a PostgreSQL
database to measure pg_trgm instead (it is emptied first).
Run with `make bench-search` or `.venv/bin/python bench/search.py [EPISODES]`.
"""

import random
import statistics
import sys
import time
from datetime import timedelta
from itertools import accumulate

from benchsite import in_process_site

WORKDIR = in_process_site("zundapod-search-bench-", keep_database=True)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from episodes.catalogue.models import Episode, LinkedArticle, Show  # noqa: E402
from episodes.catalogue.search_text import domain, normalize  # noqa: E402
from episodes.site import search  # noqa: E402

KANA = list(
    "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワンガギグゲゴザジズゼゾダデドバビブベボパピプペポ"
)
KANJI = list(
    "量子計算推論学習検索生成画像音声合成強化分散処理暗号安全性能評価開発基盤言語模型高速化蒸留圧縮解析予測"
    "認識翻訳要約対話制御設計実装運用監視障害復旧移行更新公開発表研究論文技術企業市場製品価格規制政策教育医療"
)
SYLLABLES = ["ka", "ri", "to", "ne", "mo", "su", "ra", "zen", "ku", "lo", "vi", "ta", "pe", "on", "ex", "ar", "ion"]
VERBS = ["を公開しました", "を発表しました", "について解説しています", "を比較しました", "が話題です", "を改善しました"]
CONNECT = ["また、", "さらに、", "一方で、", "その結果、", "特に、", ""]
DOMAINS = ["zenn.dev", "qiita.com", "www.technologyreview.jp", "huggingface.co", "prtimes.jp", "blog.example.com"]


def vocabulary(rng: random.Random) -> dict[str, list[str]]:
    """Thousands of pseudo-words in three scripts, so that terms are about as rare as in real news."""
    katakana = {"".join(rng.choices(KANA, k=rng.randint(3, 6))) for _ in range(4000)}
    kanji = {"".join(rng.sample(KANJI, 2)) for _ in range(3000)}
    latin = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 3))).capitalize() for _ in range(3000)}
    return {"katakana": sorted(katakana), "kanji": sorted(kanji), "latin": sorted(latin)}


class Words:
    """Zipf-distributed draws: a few words are everywhere, most are rare (as in real text)."""

    def __init__(self, rng: random.Random, words: dict[str, list[str]]):
        self.rng = rng
        self.words = {script: rng.sample(ws, len(ws)) for script, ws in words.items()}
        self.cumulative = {
            script: list(accumulate(1 / (rank + 1) for rank in range(len(ws)))) for script, ws in self.words.items()
        }

    def pick(self, script: str | None = None) -> str:
        script = script or self.rng.choice(["katakana", "kanji", "latin"])
        return self.rng.choices(self.words[script], cum_weights=self.cumulative[script])[0]

    def ranked(self, script: str, rank: int) -> str:
        return self.words[script][min(rank, len(self.words[script]) - 1)]


def sentence(words: "Words") -> str:
    return f"{words.rng.choice(CONNECT)}{words.pick()}の{words.pick()}と{words.pick()}{words.rng.choice(VERBS)}。"


def build(total: int, words: Words) -> None:
    rng = words.rng
    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    Episode.objects.all().delete()
    show = Show.objects.create(name="ベンチ番組", slug="bench", description="x", author="x", owner_email="b@example.jp")
    now = timezone.now()
    batch = 1000
    for offset in range(0, total, batch):
        episodes = []
        for n in range(offset + 1, min(offset + batch, total) + 1):
            title = f"ベンチ番組 podcast {n}: {words.pick()}と{words.pick()}"
            description = "、".join(f"{words.pick()}の{words.pick()}" for _ in range(4))
            episodes.append(
                Episode(
                    show=show,
                    number=n,
                    title=title,
                    description=description,
                    status="published",
                    published_at=now - timedelta(days=n),
                    audio_url=f"https://cdn.example.jp/{n}.mp3",
                    guid=f"https://bench.example.jp/episode/{n}",
                    search_title=normalize(title),
                    search_body=normalize(description),
                )  # fmt: skip
            )
        episodes = Episode.objects.bulk_create(episodes)
        articles = []
        for episode in episodes:
            for p in range(5):
                title = f"{words.pick()}で{words.pick()}{rng.choice(VERBS)}"
                summary = "".join(sentence(words) for _ in range(8))
                url = f"https://{rng.choice(DOMAINS)}/{episode.number}/{p}"
                articles.append(
                    LinkedArticle(
                        episode=episode,
                        position=p,
                        title=title,
                        url=url,
                        summary=summary,
                        summary_html=summary,
                        citation_url=url,
                        search_title=normalize(title),
                        search_body=normalize(f"{summary}\n{domain(url)}"),
                    )  # fmt: skip
                )
        LinkedArticle.objects.bulk_create(articles)


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):7.1f} ms  p95 {p95:7.1f} ms"


def through_view(client: Client, query: str) -> float:
    started = time.perf_counter()
    response = client.get("/search/", {"q": query})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200
    return elapsed


def indexed(query: str) -> float:
    started = time.perf_counter()
    matches = search.search(query)
    matches.count()
    list(matches.values_list("pk", flat=True)[:20])
    return (time.perf_counter() - started) * 1000


def naive(query: str) -> float:
    started = time.perf_counter()
    matches = (
        Episode.objects.published()
        .filter(
            Q(title__icontains=query)
            | Q(description__icontains=query)
            | Q(articles__title__icontains=query)
            | Q(articles__summary__icontains=query)
        )
        .distinct()
        .order_by("-published_at")
    )
    matches.count()
    list(matches.values_list("pk", flat=True)[:20])
    return (time.perf_counter() - started) * 1000


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    rng = random.Random(7)
    words = Words(rng, vocabulary(rng))
    started = time.perf_counter()
    build(total, words)
    print(
        f"search benchmark: {total} episodes, {total * 5} articles ({connection.vendor}), built in {time.perf_counter() - started:.0f} s"
    )
    # Content words from fairly common to rare (by Zipf rank), Latin ones also typed in
    # another width and case; and, reported apart, words so common they are in most episodes.
    ranks = [10, 30, 100, 300, 1000, 2000]
    full_width = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})
    groups = {
        "3+ characters": [words.ranked("katakana", r) for r in ranks] + ["zenn.dev"],
        "2 characters": [words.ranked("kanji", r) for r in ranks],
        "Latin": [words.ranked("latin", r).lower() for r in ranks[::2]]
        + [words.ranked("latin", r).upper().translate(full_width) for r in ranks[1::2]],
        "very common 3+": [words.ranked("katakana", r) for r in (0, 1, 3)] + ["公開しました"],
        "very common 2": [words.ranked("kanji", r) for r in (0, 1, 3)] + ["公開"],
    }
    client = Client()
    print("  (view: the whole /search/ page; query: count + first page of ids; icontains: the same, naively)")
    for label, queries in groups.items():
        view, query_ms, icontains = [], [], []
        for _ in range(5):
            for query in queries:
                view.append(through_view(client, query))
                query_ms.append(indexed(query))
                icontains.append(naive(query))
        speedup = statistics.median(icontains) / statistics.median(query_ms)
        print(
            f"  {label:<15} view {percentiles(view)} | query {percentiles(query_ms)} | "
            f"icontains {percentiles(icontains)} | query {speedup:5.1f}× faster"
        )
        hits = sorted(search.search(q).count() for q in queries)
        print(f"  {'':<15} episodes matched per query: {hits}")


if __name__ == "__main__":
    main()
