"""The site revision moves once per transaction, after the commit (episodes/catalogue/models/revision.py)."""

import io

import pytest
from django.core.management import call_command
from django.db import transaction

from episodes.catalogue.models import Episode, SiteRevision
from tests.factories import make_episode, make_show
from tests.samples import needs_samples, sample_site


def revision() -> int:
    return SiteRevision.current()[0]


@pytest.mark.django_db
class TestInsideATransaction:
    def test_outside_a_transaction_every_save_moves_it(self):
        show = make_show()
        before = revision()
        make_episode(show=show, number=1)
        make_episode(show=show, number=2)
        assert revision() - before >= 2

    def test_many_writes_in_one_transaction_move_it_once(self):
        show = make_show()
        before = revision()
        with transaction.atomic():
            episode = make_episode(show=show, number=1)
            episode.title = "直した題"
            episode.save()
            episode.articles.create(title="記事", url="https://news.example.com/1", position=1)
            Episode.objects.filter(pk=episode.pk).update(notice="お知らせ")
        assert revision() == before + 1

    def test_two_transactions_move_it_twice(self):
        show = make_show()
        before = revision()
        for number in (1, 2):
            with transaction.atomic():
                make_episode(show=show, number=number)
        assert revision() == before + 2

    @needs_samples
    def test_importing_one_post_moves_it_by_one(self, tmp_path):
        """A post writes an episode, its cast, articles and old paths: one change for the site."""
        site = sample_site(tmp_path, with_audio=True)
        quiet = {"stdout": io.StringIO(), "stderr": io.StringIO()}
        call_command("import_jekyll", str(site), "--only", "2025-02-21-*", **quiet)
        before = revision()
        call_command("import_jekyll", str(site), "--only", "2025-11-21-*", **quiet)
        assert Episode.objects.get(number=371).articles.count() > 1
        assert revision() == before + 1


@pytest.mark.django_db(transaction=True)
class TestAfterTheCommit:
    def test_moves_once_after_the_commit_and_not_before(self):
        show = make_show()
        before = revision()
        with transaction.atomic():
            make_episode(show=show, number=1)
            make_episode(show=show, number=2)
            assert revision() == before  # readers see the new value only with the content
        assert revision() == before + 1

    def test_a_rolled_back_transaction_does_not_move_it(self):
        show = make_show()
        before = revision()
        with pytest.raises(RuntimeError), transaction.atomic():
            make_episode(show=show, number=1)
            raise RuntimeError("the import failed half-way")
        assert revision() == before
        with transaction.atomic():
            make_episode(show=show, number=2)
        assert revision() == before + 1
