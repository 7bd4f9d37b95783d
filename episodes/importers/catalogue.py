"""The catalogue the posts hang on: the station, its actors and their credits, and the shows.

Kept apart from the per-post import because these rows are shared by many
episodes: each is found or created once and never rewritten by a later post.
"""

from collections import Counter, defaultdict

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify

from .. import images
from ..models import Actor, Episode, Show, Station
from .jekyll import Post, PostError, SiteConfig, read_feed_artwork

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


class CatalogueMixin:
    """Station, actors and shows for `ArchiveImporter`; stores images through `SiteFilesMixin`."""

    config: SiteConfig
    show_map: dict[str, str]
    default_show: str | None
    overwrite: bool
    dry_run: bool
    _host_shows: dict[str, str]

    # --- the station and its cast, from _config.yml -------------------------------

    def import_config(self) -> None:
        """Station details and the `actors:` map; existing values are kept unless --overwrite."""
        if self.dry_run or not self.config.title:
            return
        with transaction.atomic():
            station = Station.load()
            fresh = station.description == station.name  # still the placeholder from settings
            if fresh or self.overwrite:
                station.name = self.config.title
                station.description = self.config.description[:500] or self.config.title
                station.long_description = self.config.description_long
                station.author = self.config.author or self.config.title
                station.owner_name = self.config.author
                if self.config.email:
                    station.owner_email = self.config.email
                station.website_url = self.config.url
                station.save()
            for actor_config in self.config.actors.values():
                self._actor(actor_config.key)

    def _actor(self, key: str, credit_hint: str = "") -> Actor:
        config = self.config.actors.get(key)
        name = config.name if config else key
        actor = Actor.objects.filter(name=name).first()
        if actor is None:
            actor = Actor(name=name, slug=unique_slug(Actor, name, "actor"))
            actor.credit = credit_hint or voicevox_credit(name)
            if config:
                actor.profile_url = config.url
                self._attach_actor_image(actor, config.image_url)
            actor.save()
        elif credit_hint and not actor.credit:
            actor.credit = credit_hint
            actor.save(update_fields=["credit"])
        return actor

    def _attach_actor_image(self, actor: Actor, image_url: str) -> None:
        if not image_url:
            return
        stored = self._store_site_image(image_url)
        if stored:
            actor.image = stored
        else:
            actor.image_url = self._absolute(image_url)

    def _actor_name(self, key: str) -> str:
        config = self.config.actors.get(key)
        return config.name if config else key

    # --- shows -------------------------------------------------------------------------

    def learn_hosts(self, posts: list[Post]) -> None:
        """Which show each voice usually hosts: specials go to their host's show."""
        counts: dict[str, Counter] = defaultdict(Counter)
        for post in posts:
            name = self._show_name(post, guess=False)
            if name:
                for actor_id in post.actor_ids:
                    counts[actor_id][name] += 1
        self._host_shows = {actor_id: c.most_common(1)[0][0] for actor_id, c in counts.items()}
        if not self.default_show:
            totals = Counter(name for post in posts if (name := self._show_name(post, guess=False)))
            self.default_show = totals.most_common(1)[0][0] if totals else self.config.title or None

    def _show_name(self, post: Post, *, guess: bool = True) -> str | None:
        title_show = post.show_name
        if title_show:
            return self.show_map.get(title_show, title_show)
        if post.title in self.show_map:
            return self.show_map[post.title]
        if not guess:
            return None
        for actor_id in post.actor_ids:
            if actor_id in self._host_shows:
                return self._host_shows[actor_id]
        # A special with nothing learned from other posts (publish_episode): the show its voice hosts.
        hosted = Show.objects.filter(hosts__name__in=[self._actor_name(a) for a in post.actor_ids]).first()
        if hosted is not None:
            return hosted.name
        if self.default_show:
            return self.default_show
        raise PostError(
            post.path,
            None,
            "タイトルが「番組名 podcast YYYYMMDD」の形でなく、出演者がホストの番組もないため番組を決められません"
            "（--default-show か --show-map で指定してください）",
        )

    def show_name_for(self, post: Post) -> str | None:
        """The name of the show importing the post would file it under (call `learn_hosts` first)."""
        return self._show_name(post)

    def _show(self, name: str, hosts: list[Actor]) -> Show:
        show = Show.objects.filter(name=name).first()
        if show is None:
            show = Show.objects.create(
                name=name,
                slug=unique_slug(Show, name, "show"),
                description=name,
                long_description=self.config.description_long,
                author=self.config.author or self.config.title or name,
                owner_name=self.config.author,
                owner_email=self.config.email or Station.load().owner_email,
                website_url=self.config.url,
            )
        if hosts and not show.hosts.exists():
            show.hosts.set(hosts)
        return show

    def assign_artwork(self) -> list[str]:
        """Shows without artwork take their most-used episode image when it meets the directory rules.

        The station takes the main show's. Returns warnings for shows left without.
        """
        if self.dry_run:
            return []
        warnings = []
        for show in Show.objects.filter(artwork=""):
            names = Counter(
                Episode.objects.filter(show=show).exclude(image="").values_list("image", flat=True)
            ).most_common()
            for name, _ in names:
                try:
                    with default_storage.open(name, "rb") as f:
                        images.validate_artwork(f)
                except (ValidationError, OSError):
                    continue
                show.artwork = name
                show.save(update_fields=["artwork"])
                break
            else:
                warnings.append(
                    f"番組「{show.name}」のアートワークがありません（1400〜3000px 四方の画像を管理画面で設定してください）"
                )
        station = Station.load()
        if not station.artwork and (stored := self._station_artwork()):
            station.artwork = stored
            station.save(update_fields=["artwork"])
        main = Show.objects.filter(name=self.default_show).exclude(artwork="").first()
        if not station.artwork and main:
            station.artwork = main.artwork.name
            station.save(update_fields=["artwork"])
        return warnings

    def _station_artwork(self) -> str:
        """The old feed's channel image, stored once, when the directories would accept it."""
        url = read_feed_artwork(self.site_dir) if self.site_dir else ""
        stored = self._store_site_image(url) if url else ""
        if not stored:
            return ""
        try:
            with default_storage.open(stored, "rb") as f:
                images.validate_artwork(f)
        except (ValidationError, OSError):
            return ""
        return stored
