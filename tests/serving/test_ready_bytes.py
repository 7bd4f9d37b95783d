"""The content state ready bytes are keyed on (episodes/serving/ready_bytes.py): read, and trusted for a moment."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from episodes.catalogue.models import SiteRevision, Station
from episodes.serving.ready_bytes import REVISION_TRUST_SECONDS, _Reading, current_state, recent_state
from tests.factories import make_episode, make_show

pytestmark = pytest.mark.django_db


@pytest.fixture
def read():
    Station.load()
    make_episode(show=make_show(slug="daily"), number=1)
    return current_state()


# A long trust where a test expects the reading to be trusted: a loaded machine may pause longer than 0.1 s.
LONG = 30


def test_a_reading_just_taken_answers_with_no_query(read, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert recent_state(trust=LONG) == read


def test_an_edit_in_this_process_is_seen_at_once(read):
    make_episode(show=make_show(slug="other"), number=2)
    assert recent_state(trust=LONG) is None
    assert current_state().revision > read.revision
    assert recent_state(trust=LONG).revision > read.revision


def test_an_edit_in_another_process_is_seen_once_the_reading_is_old(read):
    # Another process's edit moves the row but not this process's count of its own moves.
    SiteRevision.objects.filter(pk=1).update(value=read.revision + 10)
    assert recent_state(trust=LONG) == read  # trusted while the reading is young
    time.sleep(REVISION_TRUST_SECONDS * 1.5)
    assert recent_state() is None  # not once it is older than REVISION_TRUST_SECONDS
    assert current_state().revision == read.revision + 10


def test_a_scheduled_episode_is_due_on_time_from_a_recent_reading(django_assert_num_queries):
    Station.load()
    due_at = timezone.now() + timedelta(seconds=0.5)
    make_episode(show=make_show(slug="daily"), number=1, published_at=due_at)
    before = current_state()
    time.sleep(max(0.0, (due_at - timezone.now()).total_seconds()) + 0.01)
    with django_assert_num_queries(0):
        after = recent_state(trust=5)
    assert (before.due, after.due) == (0, 1)
    assert after.token != before.token


def test_a_reading_keeps_its_state_until_the_next_publication_time_passes():
    """The state a hit is checked against is made once, and made again only when a scheduled episode falls due."""
    now = timezone.now()
    reading = _Reading(0.0, 0, 7, None, [now - timedelta(minutes=1), now + timedelta(milliseconds=300)])
    first = reading.state()
    assert first.due == 1 and reading.state() is first
    time.sleep(0.35)
    later = reading.state()
    assert later.due == 2 and later.token != first.token and later.latest_due == reading.ahead[1]
