"""Download analytics: raw hits kept for deduplication only, and the aggregates that stay."""

from django.db import models

from episodes.catalogue.models.episodes import Episode


class DownloadHit(models.Model):
    """One GET of an episode's audio, kept at most two days (until its day is aggregated for good).

    The listener is a keyed hash of address and user agent with that day's
    salt: never the address itself. `episode_id` has no database constraint so
    the insert on the audio path checks nothing and locks nothing else.
    """

    class Source(models.TextChoices):
        MEDIA = "media", "/media/"
        LEGACY = "legacy", "/audio/"
        LISTEN = "listen", "/listen/"

    at = models.DateTimeField("時刻")
    day = models.DateField("日", db_index=True)
    episode = models.ForeignKey(
        Episode, verbose_name="エピソード", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    listener = models.CharField("聴取者（ハッシュ）", max_length=32)
    # The address alone, hashed with the same day's salt: the per-address rules group by it ("" before it existed).
    address = models.CharField("接続元（ハッシュ）", max_length=32, blank=True, default="")
    user_agent = models.CharField("User-Agent", max_length=400, blank=True)
    range_start = models.PositiveBigIntegerField("範囲の先頭", default=0)
    # Null: to the end of the file (a request without Range, or `bytes=N-`).
    range_end = models.PositiveBigIntegerField("範囲の末尾", null=True, blank=True)
    source = models.CharField("経路", max_length=8, choices=Source.choices)

    class Meta:
        verbose_name = "音声リクエスト（生データ）"
        verbose_name_plural = "音声リクエスト（生データ）"
        # The aggregation reads the addresses with new hits, one address-day at a time.
        indexes = [models.Index(fields=["day", "address"], name="download_hit_day_address")]

    def __str__(self) -> str:
        return f"{self.day} {self.episode_id} {self.listener[:8]}"


class DailySalt(models.Model):
    """The day's random salt for listener hashes, deleted with the day's raw hits.

    Once it is gone nobody, holding SECRET_KEY or not, can tell whether an
    address was among that day's listeners, nor link them to another day's.
    """

    day = models.DateField("日", primary_key=True)
    salt = models.CharField("ソルト", max_length=64)

    class Meta:
        verbose_name = "日ごとのソルト"
        verbose_name_plural = "日ごとのソルト"

    def __str__(self) -> str:
        return str(self.day)


class DailyDownloads(models.Model):
    """Downloads counted by the IAB rules: per episode, day (station time), app and device."""

    day = models.DateField("日")
    episode = models.ForeignKey(Episode, verbose_name="エピソード", on_delete=models.CASCADE, related_name="+")
    app = models.CharField("アプリ", max_length=100)
    device = models.CharField("端末", max_length=100)
    downloads = models.PositiveIntegerField("ダウンロード数")

    class Meta:
        verbose_name = "ダウンロード数（日別）"
        verbose_name_plural = "ダウンロード数（日別）"
        constraints = [
            models.UniqueConstraint(fields=["day", "episode", "app", "device"], name="daily_downloads_unique"),
        ]
        indexes = [models.Index(fields=["episode", "day"], name="daily_downloads_episode_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.episode_id} {self.app}: {self.downloads}"


class AddressDownloads(models.Model):
    """What one address counted for one episode on one day: the incremental aggregation's working state.

    Kept as long as the raw hits (and pruned with them and their salt), so a
    run recounts only the addresses with new hits and sums these into
    DailyDownloads. Not shown in the admin.
    """

    day = models.DateField("日")
    address = models.CharField("接続元（ハッシュ）", max_length=32, blank=True)
    episode = models.ForeignKey(Episode, verbose_name="エピソード", on_delete=models.CASCADE, related_name="+")
    app = models.CharField("アプリ", max_length=100)
    device = models.CharField("端末", max_length=100)
    downloads = models.PositiveIntegerField("ダウンロード数")

    class Meta:
        verbose_name = "ダウンロード数（接続元別・集計中）"
        verbose_name_plural = "ダウンロード数（接続元別・集計中）"
        indexes = [models.Index(fields=["day", "address"], name="address_downloads_day_address")]

    def __str__(self) -> str:
        return f"{self.day} {self.address[:8]} {self.episode_id}: {self.downloads}"


class AggregationMark(models.Model):
    """The last raw hit the aggregation has read (one row): the next run starts after it."""

    last_hit_id = models.BigIntegerField("集計済みの最後の生データ", default=0)

    class Meta:
        verbose_name = "集計の進み具合"
        verbose_name_plural = "集計の進み具合"

    def __str__(self) -> str:
        return str(self.last_hit_id)
