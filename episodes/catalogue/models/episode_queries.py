"""What a set of episodes can be narrowed to, and the status every rule names.

Kept beside `episodes.py` (the model and its rules) so each stays readable;
`Episode.objects` is an `EpisodeQuerySet`.
"""

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Count, Max, Min, Q, Value
from django.db.models.functions import Cast, Concat, TruncMonth
from django.utils import timezone

from episodes.catalogue import stored_files
from episodes.catalogue.links import is_public_origin
from episodes.catalogue.models.revision import RevisionedQuerySet


def guid_prefix(origin: str) -> str:
    """What every episode guid on `origin` starts with (the old site's own form, kept so apps see no new items)."""
    return f"{origin}/episode/"


def episode_guid(origin: str, number: int) -> str:
    """The one spelling of an episode's guid: the importer, the cutover and freeze_guids all use it."""
    return f"{guid_prefix(origin)}{number}"


class EpisodeStatus(models.TextChoices):
    """Draft or published; a published episode with a future date is scheduled."""

    DRAFT = "draft", "下書き"
    PUBLISHED = "published", "公開"


# "Published needs audio", written once: the constraint, `Episode.clean` and `with_audio()` read it.
HAS_AUDIO = ~Q(audio_file="") | ~Q(audio_url="")


class EpisodeQuerySet(RevisionedQuerySet):
    """Reusable filters; `published()` is the one definition of what the public sees."""

    def delete(self):
        """Bulk deletion (the admin's action) takes the episodes' stored files too, after the commit."""
        names = stored_files.names_of(self)
        result = super().delete()
        stored_files.remove_after_commit(names)
        return result

    delete.alters_data = True

    def published(self):
        """Published and due: a future date means scheduled, hidden until then."""
        return self.filter(status=EpisodeStatus.PUBLISHED, published_at__lte=timezone.now())

    def with_audio(self):
        """Episodes that have audio, a file or a URL: the ones that may be published."""
        return self.filter(HAS_AUDIO)

    def scheduled(self):
        return self.filter(status=EpisodeStatus.PUBLISHED, published_at__gt=timezone.now())

    def for_listing(self):
        """What list pages print, in a fixed number of queries."""
        return self.select_related("show").prefetch_related("appearances__actor")

    def in_year(self, year: int):
        """Episodes published in a calendar year of the station's time zone."""
        tz = timezone.get_default_timezone()
        return self.filter(
            published_at__gte=datetime(year, 1, 1, tzinfo=tz), published_at__lt=datetime(year + 1, 1, 1, tzinfo=tz)
        )

    def year_range(self) -> list[int]:
        """Years from the newest episode back to the oldest (one query on the publication index)."""
        bounds = self.aggregate(first=Min("published_at"), last=Max("published_at"))
        if bounds["first"] is None:
            return []
        first, last = (timezone.localtime(bounds[key]).year for key in ("first", "last"))
        return list(range(last, first - 1, -1))

    def in_month(self, year: int, month: int):
        """Episodes published in a calendar month of the station's time zone."""
        tz = timezone.get_default_timezone()
        start = datetime(year, month, 1, tzinfo=tz)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
        return self.filter(published_at__gte=start, published_at__lt=end)

    def counts_by_month(self) -> list[tuple[int, list[dict], int]]:
        """[(year, [{"month": date, "count": n}, …], year total)], newest first, in one query."""
        rows = self.annotate(month=TruncMonth("published_at")).values("month").annotate(count=Count("pk"))
        years: dict[int, list[dict]] = {}
        for row in rows.order_by("-month"):
            years.setdefault(row["month"].year, []).append(row)
        return [(year, months, sum(m["count"] for m in months)) for year, months in years.items()]

    def freeze_guids(self) -> int:
        """Give episodes still without a guid the one on SITE_URL, once SITE_URL is a public origin."""
        if not is_public_origin(settings.SITE_URL):
            return 0
        prefix = guid_prefix(settings.SITE_URL)
        # A renumbered episode may hold another number's guid already: that one waits (a save
        # would refuse it too) rather than stopping the migrate that runs this.
        taken = {
            guid.removeprefix(prefix) for guid in self.filter(guid__startswith=prefix).values_list("guid", flat=True)
        }
        missing = self.filter(guid__isnull=True).exclude(number__in=[int(n) for n in taken if n.isdecimal()])
        return missing.update(guid=Concat(Value(prefix), Cast("number", output_field=models.CharField())))

    def in_feed(self):
        """Episodes whose audio size and length are known: a feed never claims 0."""
        return self.filter(audio_size__isnull=False, audio_duration__isnull=False)

    def not_in_feed(self):
        """The rest: size or length unknown (`Episode.feed_problem` says which and why)."""
        return self.filter(Q(audio_size__isnull=True) | Q(audio_duration__isnull=True))

    def for_feed(self):
        """What a feed item prints, in a fixed number of queries."""
        return self.select_related("show").prefetch_related("appearances__actor", "articles", "show__hosts")

    def for_page(self):
        """What the episode page prints, in a fixed number of queries."""
        return self.select_related("show").prefetch_related("appearances__actor", "articles")
