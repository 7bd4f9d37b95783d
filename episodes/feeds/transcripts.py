"""Chapters and transcripts, built from stored fields for apps that show them.

When the pipeline's slide timeline was imported, every line of narration has
its exact time. Otherwise: the voices are synthesised at a steady pace, so a
line's share of the audio is close to its share of the script's characters;
cue times are estimated that way and pinned to each article's known start
time, so they never drift more than one article's length.
"""

import json

from django.utils.html import strip_tags

from episodes.catalogue.links import absolute_url

OPENING_TITLE = "オープニング"
# The namespace's transcript guidance: at most 65 characters a caption line.
CUE_MAX_CHARS = 65
# Where a long line may be split, best first: after a sentence, after a clause, at a space.
_BREAKS = ("。", "！", "？", "!", "?", "、", "，", ",", " ", "　")


def chapters_json(episode) -> str:
    """Podcasting 2.0 JSON chapters (version 1.2.0), sorted by start time."""
    timed = sorted(
        (a for a in episode.articles.all() if a.start_seconds is not None), key=lambda a: (a.start_seconds, a.position)
    )
    chapters = []
    if not timed or timed[0].start_seconds > 0:
        opening = {"startTime": 0, "title": OPENING_TITLE}
        if episode.image_src:
            opening["img"] = absolute_url(episode.image_src)
        chapters.append(opening)
    chapters.extend({"startTime": round(a.start_seconds, 3), "title": strip_tags(a.title), "url": a.url} for a in timed)
    return json.dumps({"version": "1.2.0", "chapters": chapters}, ensure_ascii=False, indent=2)


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def _segments(lines: list[str], anchors: list[float], duration: float) -> list[tuple[float, float, list[str]]]:
    """Split lines into one segment per anchor span, in proportion to characters."""
    spans = list(zip([0.0, *anchors], [*anchors, duration], strict=True))
    total_chars = sum(len(line) for line in lines) or 1
    segments, position = [], 0
    for index, (start, end) in enumerate(spans):
        if index == len(spans) - 1:
            chunk = lines[position:]
        else:
            # Give this span as many lines as its share of the duration.
            budget = total_chars * (end - start) / duration
            chunk, used = [], 0
            while position < len(lines) and (not chunk or used + len(lines[position]) / 2 <= budget):
                chunk.append(lines[position])
                used += len(lines[position])
                position += 1
        segments.append((start, end, chunk))
    return segments


def timed_lines(episode) -> list[tuple[float, float, str]]:
    """(start, end, text) for every line: exact from the slide timeline, else estimated."""
    if episode.transcript_cues:
        return [(float(start), float(end), str(text)) for start, end, text in episode.transcript_cues]
    lines = [line.strip() for line in episode.transcript.splitlines() if line.strip()]
    duration = float(episode.audio_duration)
    anchors = sorted(
        {a.start_seconds for a in episode.articles.all() if a.start_seconds and a.start_seconds < duration}
    )
    timed = []
    for start, end, chunk in _segments(lines, anchors, duration):
        chars = sum(len(line) for line in chunk) or 1
        cursor = start
        for line in chunk:
            length = (end - start) * len(line) / chars
            timed.append((cursor, cursor + length, line))
            cursor += length
    return timed


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_caption(text: str, limit: int = CUE_MAX_CHARS) -> list[str]:
    """A line cut into pieces of at most `limit` characters, at the latest good break in each."""
    pieces = []
    text = text.strip()
    while len(text) > limit:
        window = text[:limit]
        cut = next((window.rfind(mark) + 1 for mark in _BREAKS if window.rfind(mark) > 0), limit)
        pieces.append(text[:cut].strip())
        text = text[cut:].strip()
    if text:
        pieces.append(text)
    return pieces


def caption_cues(episode) -> list[tuple[float, float, str]]:
    """Timed lines with long ones split into several cues, their time shared by characters."""
    cues = []
    for start, end, line in timed_lines(episode):
        pieces = split_caption(line)
        total = sum(len(piece) for piece in pieces) or 1
        cursor = start
        for index, piece in enumerate(pieces):
            stop = end if index == len(pieces) - 1 else cursor + (end - start) * len(piece) / total
            cues.append((cursor, stop, piece))
            cursor = stop
    return cues


def webvtt(episode) -> str:
    """The transcript as WebVTT: one cue per caption line, named after the voice when there is one.

    Strict validators want a blank line right after the `WEBVTT` signature and
    escaped text and voice names; cues stay within the namespace's 65 characters.
    """
    actors = episode.actors
    voice = _vtt_escape(actors[0].name) if len(actors) == 1 else ""
    out = ["WEBVTT", ""]
    for start, end, line in caption_cues(episode):
        text = _vtt_escape(line)
        out += [f"{_vtt_time(start)} --> {_vtt_time(end)}", f"<v {voice}>{text}" if voice else text, ""]
    return "\n".join(out)
