"""The pipeline's slide timeline (`<name>.json` beside the MP3).

A list of slides, each with `start_ms`/`end_ms` and usually `notes` (the
narration read over it). `section` slides open a news article and carry its
`url`: they give the chapters. The notes give an exact, timed transcript.
"""

import json
from dataclasses import dataclass, field
from pathlib import Path

from episodes.catalogue.bounds import MAX_SECONDS, is_seconds
from episodes.catalogue.text import clean_data


class TimelineError(ValueError):
    """The file is not a timeline we can read."""


@dataclass
class Section:
    url: str
    title: str
    start: float


@dataclass
class Timeline:
    sections: list[Section] = field(default_factory=list)
    cues: list[tuple[float, float, str]] = field(default_factory=list)
    duration: float | None = None


def _seconds(value) -> float | None:
    """Milliseconds → seconds; a missing or unreadable value is None, an impossible one refuses the file."""
    try:
        seconds = max(float(value) / 1000, 0.0)
    except (TypeError, ValueError, OverflowError):
        return None
    if not is_seconds(seconds):  # 1e400, Infinity, or past a week
        raise TimelineError(f"時刻 {value!r} ミリ秒は 0 から {MAX_SECONDS * 1000} までにしてください")
    return seconds


def _refuse_constant(name: str):
    raise ValueError(f"{name} は JSON の数ではありません")


def read_timeline(path: Path, *, name: str = "") -> Timeline:
    """Sections, narration cues and total length; tolerant of slides missing fields.

    `name` is what messages call the file (an upload's own name); `path.name` by default.
    """
    name = name or path.name
    try:
        # Cleaned at the door, like every text that enters (escaped surrogate halves, control characters).
        data = clean_data(json.loads(path.read_text(encoding="utf-8-sig"), parse_constant=_refuse_constant))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise TimelineError(f"{name}: タイムライン JSON を読めません（{exc}）") from exc
    if isinstance(data, dict):
        data = data.get("slides") or data.get("timeline") or []
    if not isinstance(data, list):
        raise TimelineError(f"{name}: タイムラインがスライドの配列ではありません")
    timeline = Timeline()
    ends = []
    for slide in data:
        if not isinstance(slide, dict):
            continue
        try:
            start, end = _seconds(slide.get("start_ms")), _seconds(slide.get("end_ms"))
        except TimelineError as exc:
            raise TimelineError(f"{name}: {exc}") from exc
        if end is not None:
            ends.append(end)
        if slide.get("type") == "section" and slide.get("url") and start is not None:
            timeline.sections.append(Section(url=str(slide["url"]), title=str(slide.get("title") or ""), start=start))
        notes = str(slide.get("notes") or "").strip()
        if notes and start is not None and end is not None and end > start:
            timeline.cues.append((start, end, " ".join(notes.split())))
    timeline.cues.sort()
    timeline.duration = max(ends) if ends else None
    return timeline


def match_sections(article_urls: list[str], sections: list[Section]) -> tuple[dict[int, float], list[Section]]:
    """Start time per article index: by URL first, then by order for the rest.

    Returns the matches and the sections that matched no article.
    """

    def norm(url: str) -> str:
        return url.strip().rstrip("/").split("#", 1)[0]

    starts: dict[int, float] = {}
    unmatched: list[Section] = []
    by_url = {norm(url): index for index, url in enumerate(article_urls)}
    leftovers = []
    for section in sections:
        index = by_url.get(norm(section.url))
        if index is not None and index not in starts:
            starts[index] = section.start
        else:
            leftovers.append(section)
    free = [index for index in range(len(article_urls)) if index not in starts]
    for section in leftovers:
        # By order only where it keeps the chapters in article order.
        if free and all(section.start > starts[i] for i in starts if i < free[0]):
            starts[free.pop(0)] = section.start
        else:
            unmatched.append(section)
    return starts, unmatched
