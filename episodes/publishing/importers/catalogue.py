"""The catalogue the posts hang on: the station, its actors and their credits, and the shows.

Kept apart from the per-post import because these rows are shared by many
episodes: each is found or created once and never rewritten by a later post.
What the posts say about shows is learned once (`learn_catalogue`) into a
`Catalogue`, which every later step is handed explicitly.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify

from episodes.catalogue.models import Actor, Episode, Show, Station
from episodes.catalogue.models.slugs import unicode_slug_from
from episodes.media import images
from episodes.publishing.importers.files import SiteFiles
from episodes.publishing.importers.jekyll import Post, PostError, SiteConfig, read_feed_artwork

# VOICEVOX characters whose terms ask for a `VOICEVOX:<name>` credit. A cast
# name containing one (お嬢様ずんだもん) is credited to it.
VOICEVOX_CHARACTERS = (
    "ずんだもん", "四国めたん", "春日部つむぎ", "雨晴はう", "波音リツ", "玄野武宏", "白上虎太郎", "青山龍星",
    "冥鳴ひまり", "九州そら", "もち子さん", "剣崎雌雄", "WhiteCUL", "後鬼", "No.7", "ちび式じい", "櫻歌ミコ",
    "小夜/SAYO", "ナースロボ＿タイプＴ", "†聖騎士 紅桜†", "雀松朱司", "麒ヶ島宗麟", "春歌ナナ", "猫使アル",
    "猫使ビィ", "中国うさぎ", "栗田まろん", "あいえるたん", "満別花丸", "琴詠ニア", "Voidoll", "ぞん子", "中部つるぎ",
)  # fmt: skip


def voicevox_credit(name: str) -> str:
    """The `VOICEVOX:<character>` credit a cast name asks for; "" for other voices."""
    for character in sorted(VOICEVOX_CHARACTERS, key=len, reverse=True):
        if character in name:
            return f"VOICEVOX:{character}"
    return ""


def unique_slug(model, text: str, fallback: str) -> str:
    """A slug from `text` that no row of `model` holds yet (`fallback` when `text` gives none)."""
    base = slugify(text, allow_unicode=True)[:90] or fallback
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class ShowUnknown(PostError):
    """A special whose show cannot be told: no show in its title, no map entry, no show its voice hosts."""


@dataclass
class Catalogue:
    """What an import knows about shows before writing: the site's config, the show map, who hosts what."""

    config: SiteConfig = field(default_factory=lambda: SiteConfig(title=""))
    show_map: dict[str, str] = field(default_factory=dict)
    host_shows: dict[str, str] = field(default_factory=dict)
    default_show: str | None = None
    # Title prefixes that begin with a known show's name (its specials) → that show's name.
    specials: dict[str, str] = field(default_factory=dict)

    def actor_name(self, key: str) -> str:
        """The name an `actor_ids` key stands for in `_config.yml` (the key itself without one)."""
        config = self.config.actors.get(key)
        return config.name if config else key


def _title_show(post: Post, show_map: dict[str, str]) -> str | None:
    if post.show_name:
        return show_map.get(post.show_name, post.show_name)
    return show_map.get(post.title)


# What may follow a show's name in a special's title prefix ("<show> 開局一周年記念…", "<show>-特別回-").
SPECIAL_SEPARATORS = "-－―–—:：「『(（【[〜~・"


def specials_of(names, known) -> dict[str, str]:
    """Title prefixes that start with a known show's name (then a space or a separator) → that show's name."""
    specials = {}
    for name in names:
        for show in sorted(known, key=len, reverse=True):
            rest = name[len(show) :]
            if show != name and name.startswith(show) and (rest[:1].isspace() or rest[:1] in SPECIAL_SEPARATORS):
                specials[name] = show
                break
    return specials


def learn_catalogue(
    posts: list[Post],
    *,
    config: SiteConfig | None = None,
    show_map: dict[str, str] | None = None,
    default_show: str | None = None,
) -> Catalogue:
    """Which show each voice usually hosts (specials go to their host's show), and the default show.

    A title prefix that starts with the name of a show known from other posts or
    from the database is that show's special, not a new show; the show map wins.
    """
    show_map = dict(show_map or {})
    config = config or SiteConfig(title="")
    raw = {post.show_name for post in posts if post.show_name}
    known = (raw | set(Show.objects.values_list("name", flat=True))) - set(show_map)
    # Titles with no `podcast YYYYMMDD` ("<show> podcast 臨時テスト") are matched whole.
    titles = {post.title for post in posts if not post.show_name}
    specials = {name: show for name, show in specials_of(raw | titles, known).items() if name not in show_map}
    show_map = {**specials, **show_map}
    counts: dict[str, Counter] = defaultdict(Counter)
    totals: Counter = Counter()
    for post in posts:
        if name := _title_show(post, show_map):
            totals[name] += 1
            for actor_id in post.actor_ids:
                counts[actor_id][name] += 1
    if not default_show:
        default_show = totals.most_common(1)[0][0] if totals else config.title or None
    return Catalogue(
        config=config,
        show_map=show_map,
        host_shows={actor_id: c.most_common(1)[0][0] for actor_id, c in counts.items()},
        default_show=default_show,
        specials=specials,
    )


def show_name_for(post: Post, catalogue: Catalogue) -> str:
    """The name of the show the post is filed under; raises ShowUnknown when nothing tells."""
    if name := _title_show(post, catalogue.show_map):
        return name
    for actor_id in post.actor_ids:
        if actor_id in catalogue.host_shows:
            return catalogue.host_shows[actor_id]
    # A special with nothing learned from other posts (publish_episode): the show its voice hosts.
    names = [catalogue.actor_name(a) for a in post.actor_ids]
    hosted = Show.objects.filter(hosts__name__in=names).first()
    if hosted is not None:
        return hosted.name
    if catalogue.default_show:
        return catalogue.default_show
    raise ShowUnknown(
        post.path,
        None,
        "タイトルが「番組名 podcast YYYYMMDD」の形でなく、出演者がホストの番組もないため番組を決められません"
        "（--default-show か --show-map で指定してください）",
    )


# --- writing: the station, actors and shows ---------------------------------------------------


def import_station(catalogue: Catalogue, *, site: SiteFiles, overwrite: bool = False) -> None:
    """Station details and the `actors:` map; existing values are kept unless `overwrite`."""
    config = catalogue.config
    if not config.title:
        return
    with transaction.atomic():
        station = Station.load()
        fresh = station.description == station.name  # still the placeholder from settings
        if fresh or overwrite:
            station.name = config.title
            station.description = config.description[:500] or config.title
            station.long_description = config.description_long
            station.author = config.author or config.title
            station.owner_name = config.author
            if config.email:
                station.owner_email = config.email
            station.website_url = config.url
            station.save()
        for actor_config in config.actors.values():
            find_or_create_actor(actor_config.key, catalogue=catalogue, site=site)


def find_or_create_actor(key: str, *, catalogue: Catalogue, site: SiteFiles, credit_hint: str = "") -> Actor:
    """The actor an `actor_ids` key names, created with its image and credit on first sight."""
    config = catalogue.config.actors.get(key)
    name = catalogue.actor_name(key)
    actor = Actor.objects.filter(name=name).first()
    if actor is None:
        actor = Actor(name=name, slug=unique_slug(Actor, name, "actor"))
        actor.credit = credit_hint or voicevox_credit(name)
        if config:
            actor.profile_url = config.url
            if config.image_url:
                stored = site.store_image(config.image_url)
                actor.image = stored or ""
                actor.image_url = "" if stored else site.linked_image_url(config.image_url)
        actor.save()
    elif (
        config
        and actor.image_url
        and actor.image_url == site.absolute(config.image_url)
        and site.is_missing(actor.image_url)
    ):
        actor.image_url = ""  # imported before as a link to a file the old site never had: a broken image
        actor.save(update_fields=["image_url"])
    elif credit_hint and not actor.credit:
        actor.credit = credit_hint
        actor.save(update_fields=["credit"])
    return actor


def find_or_create_show(name: str, *, catalogue: Catalogue, hosts: list[Actor]) -> Show:
    """The show of that name, created from the site's config on first sight; its first cast hosts it."""
    show = Show.objects.filter(name=name).first()
    if show is None:
        config = catalogue.config
        show = Show.objects.create(
            name=name,
            slug=Show.suggest_slug(name),
            description=name,
            long_description=config.description_long,
            author=config.author or config.title or name,
            owner_name=config.author,
            owner_email=config.email or Station.load().owner_email,
            website_url=config.url,
        )
        # Earlier imports gave the show its name as a Japanese slug: its links and subscriptions get a 301.
        show.remember_former_slug(unicode_slug_from(name))
    if hosts and not show.hosts.exists():
        show.hosts.set(hosts)
    return show


def assign_artwork(*, main_show: str | None, site: SiteFiles) -> list[tuple[str, str]]:
    """The station takes the old feed's channel image; shows without artwork their most-used episode image.

    An image that already meets the directories' rules is preferred; otherwise
    the most-used real image is taken and the model makes a conforming feed
    rendition beside it (a 720 px PNG with transparency, say). A show with no
    usable image of its own goes out with the station's (the feeds and pages
    fall back to it), and the warning says so. Returns (code, message) warnings.
    """
    warnings = []
    station = Station.load()
    if not station.artwork and (stored := _station_artwork(site)):
        station.artwork = stored
        station.save(update_fields=["artwork"])
    for show in Show.objects.filter(artwork=""):
        if station.artwork and show.name == station.name:
            # The station's own show: the old feed's channel image was its artwork.
            warnings.append(_without_artwork(show, station))
            continue
        names = [
            name
            for name, _ in Counter(
                Episode.objects.filter(show=show).exclude(image="").values_list("image", flat=True)
            ).most_common()
        ]
        chosen = _best_artwork(names)
        if chosen is None:
            warnings.append(_without_artwork(show, station))
            continue
        show.artwork = chosen.name
        show.save(update_fields=["artwork"])
        if chosen.side < images.ARTWORK_MIN_PX:
            warnings.append(
                (
                    "show_artwork_scaled_up",
                    f"番組「{show.name}」のアートワークは {chosen.side}px なので、フィードには"
                    f" {images.ARTWORK_MIN_PX}px に拡大した複製を使います（大きな原画があれば管理画面で差し替えてください）",
                )
            )
    main = Show.objects.filter(name=main_show).exclude(artwork="").first()
    if not station.artwork and main:
        station.artwork = main.artwork.name
        station.save(update_fields=["artwork"])
    return warnings


def _without_artwork(show: Show, station: Station) -> tuple[str, str]:
    """The warning for a show with no usable image of its own: it borrows the station's, or has none."""
    if station.artwork:
        return (
            "show_uses_station_artwork",
            f"番組「{show.name}」には使える画像がないので、局のアートワーク（{station.artwork.name}）を使います"
            "（番組専用の画像があれば管理画面で設定してください）",
        )
    return (
        "show_without_artwork",
        f"番組「{show.name}」のアートワークがありません（1400〜3000px 四方の画像を管理画面で設定してください）",
    )


def missing_actor_images(catalogue: Catalogue, *, site: SiteFiles) -> list[tuple[str, str]]:
    """(code, message) for each voice of `_config.yml` whose portrait is not in the old site's folder."""
    return [
        (
            "actor_image_missing",
            f"出演者「{actor.name}」の画像 {actor.image_url} は旧サイトのフォルダーにありません"
            "（ページには仮の画像を表示します。管理画面の出演者に画像をアップロードしてください）",
        )
        for actor in catalogue.config.actors.values()
        if site.is_missing(actor.image_url)
    ]


@dataclass
class _Art:
    name: str
    side: int
    conforms: bool


def _best_artwork(names: list[str]) -> _Art | None:
    """The first stored image that conforms, else the first real image (names in order of use)."""
    first = None
    for name in names:
        try:
            with default_storage.open(name, "rb") as f:
                _, size = images.identify_image(f)
                f.seek(0)
                art = _Art(name, min(size), images.artwork_conforms(f))
        except (ValidationError, OSError):
            continue
        if art.conforms:
            return art
        first = first or art
    return first


def _station_artwork(site: SiteFiles) -> str:
    """The old feed's channel image, stored once (a feed rendition is made when it does not conform)."""
    url = read_feed_artwork(site.site_dir) if site.site_dir else ""
    stored = site.store_image(url) if url else ""
    return stored  # store_image took only a real image
