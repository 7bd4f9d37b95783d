"""The slide timeline: chapters and timed narration (episodes/publishing/importers/timeline.py)."""

import json

import pytest

from episodes.publishing.importers.timeline import Section, TimelineError, match_sections, read_timeline
from tests.samples import SAMPLES, needs_samples


def write(tmp_path, data):
    path = tmp_path / "timeline.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_sections_cues_and_duration(tmp_path):
    timeline = read_timeline(
        write(
            tmp_path,
            [
                {"type": "rawmedia", "start_ms": 0, "end_ms": 3000},
                {"type": "agenda", "notes": "今日の  話題\nです", "start_ms": 3000, "end_ms": 9000},
                {
                    "type": "section",
                    "url": "https://a.example/1",
                    "title": "一",
                    "notes": "一本目",
                    "start_ms": 9000,
                    "end_ms": 12000,
                },
                {"type": "content", "notes": "", "start_ms": 12000, "end_ms": 20500},
                {"type": "closing", "notes": "また明日", "start_ms": 20500, "end_ms": 25250},
            ],
        )
    )
    assert [(s.url, s.start) for s in timeline.sections] == [("https://a.example/1", 9.0)]
    assert timeline.cues == [(3.0, 9.0, "今日の 話題 です"), (9.0, 12.0, "一本目"), (20.5, 25.25, "また明日")]
    assert timeline.duration == 25.25


@pytest.mark.parametrize("content", ["not json", '{"x": 1}', "[1, 2, 3]", '"text"'])
def test_unreadable_or_empty(tmp_path, content):
    path = tmp_path / "t.json"
    path.write_text(content, encoding="utf-8")
    try:
        timeline = read_timeline(path)
    except TimelineError as exc:
        assert "t.json" in str(exc)
    else:
        assert timeline.sections == [] and timeline.cues == [] and timeline.duration is None


def test_match_by_url_then_by_order():
    urls = ["https://a.example/1/", "https://a.example/2", "https://a.example/3"]
    sections = [
        Section("https://a.example/1", "一", 10),
        Section("https://elsewhere.example/x", "二（URL違い）", 20),
        Section("https://a.example/3#top", "三", 30),
    ]
    starts, unmatched = match_sections(urls, sections)
    assert starts == {0: 10, 2: 30, 1: 20}
    assert unmatched == []


def test_sections_that_fit_no_article_are_reported():
    starts, unmatched = match_sections(
        ["https://a.example/1"], [Section("https://a.example/1", "一", 5), Section("https://b.example", "余り", 50)]
    )
    assert starts == {0: 5}
    assert [s.title for s in unmatched] == ["余り"]


@needs_samples
def test_real_timeline():
    timeline = read_timeline(SAMPLES / "audio" / "私立ずんだもん女学園放送部_podcast_20260821.json")
    assert [round(s.start, 3) for s in timeline.sections] == [65.166, 164.029, 252.637, 338.282]
    assert timeline.duration == 455.965
    assert all(start < end for start, end, _ in timeline.cues)
