"""A few days of generated listening for the demo, so `make run` opens on charts that are not empty.

The hits go through the same raw table, salts and rules as real ones
(`aggregate_downloads` counts them, then prunes the raw rows), from addresses
in the documentation ranges (RFC 5737), never real ones.
"""

import random
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from episodes.analytics.models import DailyDownloads, DownloadHit
from episodes.analytics.recording import listener_hash
from episodes.analytics.rules import aggregate_downloads
from episodes.demo.content import demo_episodes

# (user agent, share of listeners): apps first, a browser, and a bot that never counts.
DEMO_AGENTS = [
    ("Podcasts/1650.20 CFNetwork/1408.0.4 Darwin/22.5.0", 34),
    ("Spotify/8.8.0 Android/33 (SM-G991B)", 22),
    ("Overcast/3.0 (+http://overcast.fm/; iOS podcast app)", 9),
    ("PocketCasts/1.0 (Pocket Casts - Android)", 7),
    ("AntennaPod/3.2.0", 6),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
        12,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        6,
    ),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 4),
]
ADDRESS_RANGES = ("192.0.2.", "198.51.100.", "203.0.113.")


def seed_demo_downloads(*, days: int = 14, seed: int = 17) -> int:
    """Generate `days` days of hits for the demo's episodes and count them; returns downloads counted.

    Does nothing (returns 0) when there is no demo or downloads were already counted.
    """
    episodes = list(demo_episodes().filter(status="published").order_by("published_at"))
    if not episodes or DailyDownloads.objects.exists():
        return 0
    rng = random.Random(seed)
    today = timezone.localdate()
    agents = [agent for agent, _ in DEMO_AGENTS]
    weights = [weight for _, weight in DEMO_AGENTS]
    hits = []
    for age in range(days - 1, -1, -1):
        day = today - timedelta(days=age)
        moment = timezone.make_aware(datetime.combine(day, time(12)))
        for episode in episodes:
            published = timezone.localdate(episode.published_at)
            if published > day:
                continue
            # Most listening in the first days after publication, a long tail after.
            since = (day - published).days
            listeners = int((40 + 15 * (len(episodes) - episodes.index(episode))) / (1 + since) ** 1.1) + rng.randint(
                0, 4
            )
            for _ in range(listeners):
                address = rng.choice(ADDRESS_RANGES) + str(rng.randint(1, 254))
                agent = rng.choices(agents, weights)[0]
                listener = listener_hash(address=address, user_agent=agent, day=day)
                size = episode.audio_size or 1_000_000
                # An iOS-style probe first, then either the whole file or a short range (which may not count).
                ranges = [(0, 1), (0, None)] if rng.random() < 0.8 else [(0, 1), (0, rng.randint(2, size // 2))]
                for start, end in ranges:
                    hits.append(
                        DownloadHit(
                            at=moment,
                            day=day,
                            episode=episode,
                            listener=listener,
                            user_agent=agent,
                            range_start=start,
                            range_end=end,
                            source="media",
                        )
                    )
    with transaction.atomic():
        DownloadHit.objects.bulk_create(hits, batch_size=2000)
    return aggregate_downloads().downloads
