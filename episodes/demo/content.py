"""Demo content for `make run`: our own small archive in the live site's format.

`site/` is a Jekyll site like the station's (config, posts, MP3s with a script
and a slide timeline, images), loaded through `import_jekyll`, so every
`make run` exercises the importer. It is loaded only into a database that holds
no episodes, and importing a real archive removes it first, so it is never
mixed into real data. Demo content is known by its guids, which stand on the
demo config's own host (`demo.example.com`). The MP3s are short generated
chimes (see `site/audio/README.md`); the images were drawn with Pillow.
"""

import io
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.management import call_command
from django.db import transaction

from episodes.catalogue.models import Actor, AiringSlot, Show, Station

DEMO_SITE = Path(__file__).parent / "site"
DEMO_GUID_PREFIX = "https://demo.example.com/"
# The demo station's own artwork (drawn with Pillow), distinct from its shows'.
STATION_ARTWORK = DEMO_SITE / "images" / "station-demo.png"


@dataclass
class DemoRemoved:
    episodes: int
    shows: int
    actors: int

    def __str__(self) -> str:
        return f"エピソード {self.episodes} 件、番組 {self.shows} 件、出演者 {self.actors} 人"


def is_demo_site(site_dir: Path) -> bool:
    return site_dir.resolve() == DEMO_SITE.resolve()


def demo_episodes():
    from episodes.catalogue.models import Episode

    return Episode.objects.filter(guid__startswith=DEMO_GUID_PREFIX)


@transaction.atomic
def remove_demo_content() -> DemoRemoved:
    """Delete the demo's episodes, then the shows, voices, old paths and station details only it used."""
    from episodes.catalogue.models import Actor, Appearance, LegacyPath, Show, Station

    episodes = demo_episodes()
    show_ids = set(episodes.values_list("show_id", flat=True))
    actor_ids = set(Appearance.objects.filter(episode__in=episodes).values_list("actor_id", flat=True))
    actor_ids |= set(Show.hosts.through.objects.filter(show_id__in=show_ids).values_list("actor_id", flat=True))
    demo_images = {
        f"/images/{p.relative_to(DEMO_SITE / 'images').as_posix()}" for p in (DEMO_SITE / "images").rglob("*")
    }
    removed_episodes = episodes.count()
    episodes.delete()
    shows = Show.objects.filter(pk__in=show_ids, episodes__isnull=True)
    removed_shows = shows.count()
    shows.delete()
    actors = Actor.objects.filter(pk__in=actor_ids, appearances__isnull=True, hosted_shows__isnull=True)
    removed_actors = actors.count()
    actors.delete()
    LegacyPath.objects.filter(episode__isnull=True, path__in=demo_images).delete()
    station = Station.objects.filter(pk=1).first()
    if station is not None and (station.website_url or "").startswith(DEMO_GUID_PREFIX.rstrip("/")):
        station.delete()  # Station.load() starts again from settings; the archive's config fills it
    return DemoRemoved(removed_episodes, removed_shows, removed_actors)


# The demo station's week, as the real one airs: (weekdays, show, host).
DEMO_SCHEDULE = [
    ((0,), "ずんだもん技術室デモ放送", "春日部つむぎ"),
    ((1, 2, 3), "ずんだもん技術室デモ放送", "ずんだもん"),
    ((4,), "ずんだもん女学園デモ放送部", "お嬢様ずんだもん"),
]


def load_demo_content() -> str:
    """Import the demo archive, its weekly schedule and the station's artwork; returns the importer's summary."""
    out = io.StringIO()
    call_command("import_jekyll", str(DEMO_SITE), stdout=out, stderr=io.StringIO())
    load_demo_schedule()
    station = Station.load()
    with STATION_ARTWORK.open("rb") as artwork:
        station.artwork = File(artwork, name=STATION_ARTWORK.name)
        station.save()
    return out.getvalue().strip()


def load_demo_schedule() -> None:
    """Monday つむぎ, Tuesday to Thursday ずんだもん, Friday お嬢様ずんだもん (weekdays not yet taken)."""
    for weekdays, show_name, host_name in DEMO_SCHEDULE:
        show = Show.objects.filter(name=show_name).first()
        if show is None:
            continue
        host = Actor.objects.filter(name=host_name).first()
        for weekday in weekdays:
            AiringSlot.objects.get_or_create(weekday=weekday, defaults={"show": show, "host": host})


def make_room_for_a_real_archive(sender, *, site_dir: Path, dry_run: bool, **kwargs) -> str | None:
    """The demo never mixes with a real station: importing an archive removes it first (import_jekyll asks)."""
    if is_demo_site(site_dir) or not demo_episodes().exists():
        return None
    if dry_run:
        return f"デモ用データ（エピソード {demo_episodes().count()} 件）は、取り込むときに削除します。"
    removed = remove_demo_content()
    return f"デモ用データを削除してから取り込みます（{removed}）。"
