"""Fill in size, length, type and bitrate of episodes whose audio lives at an external URL.

Until both size and length are known such an episode stays out of the feeds.
The probes go through `audio_metadata`, as the admin, the API and the importer
do, and run a few at a time (HTTP only, in worker threads); every result is
saved from the main thread as soon as it arrives, so an interrupted run loses
nothing and the next run, which selects only what is still missing, carries
on from there. Why an episode could not be read is recorded on it
(`audio_problem`, shown in the admin) and listed at the start of the next run.
"""

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from episodes.catalogue.models import Episode
from episodes.catalogue.probes import PROBED_FIELDS
from episodes.media.audio import AudioError, AudioInfo, format_duration
from episodes.media.audio_metadata import audio_metadata
from episodes.media.remote_audio import ProbeStats, timeline_duration


@dataclass(frozen=True)
class Job:
    """What a worker needs, copied out of the row: workers never touch the database."""

    pk: int
    number: int
    url: str
    fallback_duration: float | None
    has_duration: bool
    problem: str = ""  # why the last probe (here, in the admin, the API or an import) could not read it


@dataclass
class Outcome:
    info: AudioInfo | None
    reason: str
    message: str
    stats: ProbeStats


def probe_job(job: Job, *, timeout: float, retries: int) -> Outcome:
    """Probe one episode's URL (runs in a worker thread)."""
    stats = ProbeStats()
    try:
        info = audio_metadata(
            job.url, timeout=timeout, retries=retries, fallback_duration=job.fallback_duration, stats=stats
        )
    except AudioError as exc:
        return Outcome(None, getattr(exc, "reason", "読み取れない"), str(exc), stats)
    except Exception as exc:  # one odd URL must not stop a run over the whole archive
        return Outcome(None, f"予期しないエラー（{type(exc).__name__}）", str(exc), stats)
    return Outcome(info, "", "", stats)


def record_audio_info(job: Job, info: AudioInfo) -> bool:
    """Save what a probe learned, through the model (which moves the site revision: feeds refresh).

    False when the episode's audio changed or went away while it was being probed.
    """
    episode = Episode.objects.filter(pk=job.pk, audio_url=job.url, audio_file="").first()
    if episode is None:
        return False
    episode.set_audio_info(info)
    with transaction.atomic():
        episode.save(update_fields=PROBED_FIELDS)
    return True


def record_audio_problem(job: Job, problem: str) -> bool:
    """Record why the audio could not be read, keeping at least the timeline's length (the size stays unknown).

    Episodes whose size and length are known are left alone (`--all`). True when
    the timeline's length was saved as the only length known.
    """
    incomplete = Q(audio_size__isnull=True) | Q(audio_duration__isnull=True)
    episode = Episode.objects.filter(incomplete, pk=job.pk, audio_url=job.url, audio_file="").first()
    if episode is None:
        return False
    duration = episode.audio_duration if episode.audio_duration is not None else job.fallback_duration
    episode.set_audio_problem(problem, duration=duration)
    with transaction.atomic():
        episode.save(update_fields=PROBED_FIELDS)
    return not job.has_duration and duration is not None


def _positive(kind):
    def parse(value: str):
        number = kind(value)
        if not number > 0:  # also refuses nan
            raise ValueError(value)
        return number

    parse.__name__ = kind.__name__  # argparse names the type in its error message
    return parse


def _bytes(count: int) -> str:
    if count >= 1024 * 1024:
        return f"{count / 1024 / 1024:.1f} MB"
    return f"{count / 1024:.0f} KB"


class Command(BaseCommand):
    help = (
        "外部URLの音声（audio_url があり音声ファイルのないエピソード）のサイズ・長さ・種類・ビットレートを"
        "HTTP で読み取って保存します。既定では、サイズか長さがまだ分からないエピソードだけを読みます"
        "（中断しても次の実行が続きから読みます）。--all で外部URLのエピソードをすべて読み直します。"
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group()
        which.add_argument(
            "--only-missing",
            action="store_true",
            help="サイズか長さが分からないエピソードだけ（既定の動作。明示したいときに）",
        )
        which.add_argument(
            "--all", action="store_true", dest="all_episodes", help="取得済みのものも含めて全部読み直します"
        )
        parser.add_argument(
            "--limit",
            type=_positive(int),
            metavar="N",
            help="新しい順に最大 N 件だけ。残りは次の実行で（読めなかったものは毎回読み直すので N 件に数えます）",
        )
        parser.add_argument("--workers", type=_positive(int), default=4, help="同時に読み取る数（既定 4）")
        parser.add_argument("--timeout", type=_positive(float), default=10.0, help="1回の通信を待つ秒数（既定 10）")
        parser.add_argument(
            "--retries",
            type=int,
            default=2,
            choices=range(0, 6),
            metavar="{0-5}",
            help="一時的な失敗（タイムアウト・5xx など）の再試行回数。間隔は倍々に延びます（既定 2）",
        )
        parser.add_argument("--dry-run", action="store_true", help="読み取るだけで何も保存しません")

    def handle(self, *args, all_episodes, limit, workers, timeout, retries, dry_run, verbosity, **options):
        external = Episode.objects.exclude(audio_url="").filter(audio_file="")
        candidates = (
            external if all_episodes else external.filter(Q(audio_size__isnull=True) | Q(audio_duration__isnull=True))
        )
        # Newest first: feeds show the latest episodes, so they are complete soonest.
        candidates = candidates.order_by("-published_at", "-number").only(
            "pk", "number", "audio_url", "audio_duration", "audio_problem", "transcript_cues"
        )
        waiting = candidates.count()
        jobs = [
            Job(
                pk=episode.pk,
                number=episode.number,
                url=episode.audio_url,
                fallback_duration=timeline_duration(episode.transcript_cues) or episode.audio_duration,
                has_duration=episode.audio_duration is not None,
                problem=episode.audio_problem,
            )
            for episode in (candidates[:limit] if limit else candidates)
        ]
        if not jobs:
            self.stdout.write(self.style.SUCCESS("読み取りが必要なエピソードはありません。"))
            return
        if verbosity >= 1:
            self.stdout.write(
                f"外部URLの音声 {len(jobs)} 件を読み取ります"
                f"（同時に {min(workers, len(jobs))} 件、タイムアウト {timeout:g} 秒、再試行 {retries} 回）"
            )
            self._recorded_problems(jobs)

        probed, skipped, from_timeline, timeline_only = [], [], [], []
        failures: dict[str, list[int]] = defaultdict(list)
        fetched = 0
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe_audio") as pool:
            futures = {pool.submit(probe_job, job, timeout=timeout, retries=retries): job for job in jobs}
            try:
                for done, future in enumerate(as_completed(futures), start=1):
                    job, outcome = futures[future], future.result()
                    fetched += outcome.stats.bytes_received
                    if outcome.info is None:
                        failures[outcome.reason].append(job.number)
                        if not dry_run and record_audio_problem(job, outcome.message):
                            timeline_only.append(job.number)
                        if verbosity >= 2:
                            self.stdout.write(f"  #{job.number} 失敗: {outcome.message}")
                    elif dry_run or record_audio_info(job, outcome.info):
                        probed.append(job.number)
                        if outcome.stats.duration_from_fallback:
                            from_timeline.append(job.number)
                        if verbosity >= 2:
                            self.stdout.write(f"  #{job.number} {self._describe(outcome)}")
                    else:
                        skipped.append(job.number)
                    if verbosity >= 1:
                        self.stderr.write(f"\r読み取り中 {done}/{len(jobs)}", ending="", style_func=str)
            except KeyboardInterrupt:
                # What was saved stays saved; the next run picks up the rest.
                pool.shutdown(wait=False, cancel_futures=True)
                self.stderr.write(f"\n中断しました（保存済み {len(probed)} 件）。")
                raise
        if verbosity >= 1:
            self.stderr.write("", style_func=str)

        self._summary(
            probed=probed,
            failures=failures,
            skipped=skipped,
            from_timeline=from_timeline,
            timeline_only=timeline_only,
            left=waiting - len(jobs),
            fetched=fetched,
            dry_run=dry_run,
        )
        failed = sum(len(numbers) for numbers in failures.values())
        if failed:
            raise CommandError(f"{failed} 件の音声を読み取れませんでした（理由は上の一覧を見てください）")

    def _recorded_problems(self, jobs: list[Job]) -> None:
        """Why earlier probes (here or on the way in: admin, API, import) could not read these episodes."""
        by_problem: dict[str, list[int]] = defaultdict(list)
        for job in jobs:
            if job.problem:
                by_problem[job.problem].append(job.number)
        for problem, numbers in sorted(by_problem.items(), key=lambda item: (-len(item[1]), item[0])):
            listed = ", ".join(f"#{n}" for n in sorted(numbers))
            self.stdout.write(f"  前回読み取れなかった理由: {problem} {len(numbers)} 件 {listed}")

    def _describe(self, outcome: Outcome) -> str:
        info = outcome.info
        bitrate = f"、{info.bitrate // 1000} kbps" if info.bitrate else ""
        source = "（長さはタイムラインから）" if outcome.stats.duration_from_fallback else ""
        return (
            f"{info.size:,} バイト、{format_duration(info.duration)}、{info.mime_type}{bitrate}{source}"
            f" — 取得 {_bytes(outcome.stats.bytes_received)}"
        )

    def _summary(self, *, probed, failures, skipped, from_timeline, timeline_only, left, fetched, dry_run) -> None:
        def numbers(values) -> str:
            return ", ".join(f"#{n}" for n in sorted(values))

        failed = sum(len(values) for values in failures.values())
        head = "（試行のみ: 何も保存していません）" if dry_run else ""
        style = self.style.WARNING if failed else self.style.SUCCESS
        self.stdout.write(
            style(
                f"読み取り結果{head}: 成功 {len(probed)}、失敗 {failed}、スキップ {len(skipped)}"
                f"（取得 {_bytes(fetched)}）"
            )
        )
        if from_timeline:
            self.stdout.write(
                f"  長さは音声から読めずタイムラインから: {len(from_timeline)} 件 {numbers(from_timeline)}"
            )
        for reason, values in sorted(failures.items(), key=lambda item: (-len(item[1]), item[0])):
            self.stdout.write(self.style.ERROR(f"  失敗 {reason}: {len(values)} 件 {numbers(values)}"))
        if timeline_only:
            self.stdout.write(
                f"  失敗のうち長さだけタイムラインから保存: {len(timeline_only)} 件 {numbers(timeline_only)}"
                "（サイズが分かるまでフィードには載りません）"
            )
        if skipped:
            self.stdout.write(f"  スキップ（読み取り中に音声が変更された）: {numbers(skipped)}")
        if left:
            self.stdout.write(f"  残り {left} 件は次の実行で読み取ります（--limit）")
