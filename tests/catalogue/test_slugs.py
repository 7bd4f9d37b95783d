"""Show slugs (episodes/catalogue/models/slugs.py): ASCII only, suggested from the name, former ones kept."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from episodes.catalogue.models import FormerShowSlug, Show, SiteRevision
from episodes.catalogue.models.slugs import SLUG_MESSAGE, SLUG_REDIRECTED_MESSAGE, ascii_slug_from
from tests.factories import make_show

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Tech News", "tech-news"),
        ("tech_news!", "tech-news"),
        ("ＡＩ　Ｎｅｗｓ", "ai-news"),  # full-width letters are ASCII letters once normalised
        ("Café Zunda", "cafe-zunda"),
        ("ずんだもん", ""),
        ("株式会社ずんだもん技術室AI放送局", ""),  # slugify would keep "ai" alone: not the show's name
        ("☆★", ""),
    ],
)
def test_an_ascii_slug_only_when_it_keeps_the_whole_name(name, slug):
    assert ascii_slug_from(name) == slug


class TestSuggestedSlug:
    def test_japanese_names_get_numbered_show_slugs(self):
        first = make_show(name="ずんだもんの番組", slug="")
        second = make_show(name="つむぎの番組", slug="")
        assert (first.slug, second.slug) == ("show-1", "show-2")

    def test_ascii_names_keep_their_words_and_never_collide(self):
        make_show(name="Tech News", slug="")
        assert make_show(name="Tech News!", slug="").slug == "tech-news-2"

    def test_a_former_slug_is_not_suggested_again(self):
        other = make_show(name="Other", slug="show-1")
        other.slug = "other"
        other.save()
        assert make_show(name="新番組", slug="").slug == "show-2"

    def test_blanking_the_slug_in_an_update_fills_it(self):
        show = make_show(name="Morning", slug="morning")
        show.slug = ""
        show.save(update_fields=["name", "slug"])
        assert Show.objects.get(pk=show.pk).slug == "morning"
        assert not FormerShowSlug.objects.exists()


class TestValidation:
    @pytest.mark.parametrize("typed", ["ずんだもん", "a b", "Daily", "a_b", "-daily", "daily-", "a--b", "daily/"])
    def test_anything_but_lower_ascii_words_and_hyphens_is_refused_in_japanese(self, typed):
        show = make_show(slug="ok")
        show.slug = typed
        with pytest.raises(ValidationError) as raised:
            show.full_clean()
        assert raised.value.message_dict["slug"] == [SLUG_MESSAGE]

    @pytest.mark.parametrize("typed", ["daily", "zundamon-ai-news", "2024"])
    def test_good_slugs_pass(self, typed):
        show = make_show(slug="ok")
        show.slug = typed
        show.full_clean()

    def test_another_shows_former_slug_is_refused(self):
        moved = make_show(slug="old")
        moved.slug = "new"
        moved.save()
        other = make_show(slug="other")
        other.slug = "old"
        with pytest.raises(ValidationError) as raised:
            other.full_clean()
        assert raised.value.message_dict["slug"] == [SLUG_REDIRECTED_MESSAGE]

    def test_taking_back_its_own_former_slug_is_fine(self):
        show = make_show(slug="old")
        show.slug = "new"
        show.save()
        show.slug = "old"
        show.full_clean()


class TestFormerSlugs:
    def test_a_changed_slug_is_recorded_once_per_change(self, django_assert_num_queries):
        show = make_show(slug="first")
        show = Show.objects.get(pk=show.pk)
        show.slug = "second"
        show.save()
        show.slug = "third"
        show.save()
        assert sorted(show.former_slugs.values_list("slug", flat=True)) == ["first", "second"]
        show.description = "説明だけ変更"
        with django_assert_num_queries(2):  # the UPDATE and the revision; former slugs untouched when the slug stays
            show.save(update_fields=["description"])

    def test_a_save_that_does_not_write_the_slug_records_nothing(self):
        show = make_show(slug="first")
        show.slug = "second"
        show.save(update_fields=["description"])
        assert Show.objects.get(pk=show.pk).slug == "first"
        assert not FormerShowSlug.objects.exists()
        show.save(update_fields=["slug"])
        assert list(show.former_slugs.values_list("slug", flat=True)) == ["first"]

    def test_going_back_swaps_the_redirect(self):
        show = make_show(slug="first")
        show.slug = "second"
        show.save()
        show.slug = "first"
        show.save()
        assert list(show.former_slugs.values_list("slug", flat=True)) == ["second"]

    def test_a_slug_taken_over_from_another_show_stops_redirecting_there(self):
        moved = make_show(slug="old")
        moved.slug = "new"
        moved.save()
        make_show(slug="old")  # not through the admin, which refuses it: the current slug wins
        assert not FormerShowSlug.objects.filter(slug="old").exists()

    def test_remembering_a_japanese_slug(self):
        show = make_show(name="毎朝の番組", slug="show-1")
        show.remember_former_slug("毎朝の番組")
        show.remember_former_slug("毎朝の番組")
        show.remember_former_slug("show-1")  # its own current slug: nothing to redirect
        assert list(show.former_slugs.values_list("slug", flat=True)) == ["毎朝の番組"]

    def test_deleting_the_show_deletes_its_former_slugs(self):
        show = make_show(slug="first")
        show.slug = "second"
        show.save()
        show.delete()
        assert not FormerShowSlug.objects.exists()


class TestDataMigration:
    """0003 turns the slugs of earlier imports into ASCII ones and keeps them as former slugs."""

    migration = importlib.import_module("episodes.catalogue.migrations.0003_ascii_show_slugs")

    def test_japanese_and_odd_slugs_are_converted_and_kept(self):
        japanese = make_show(name="毎朝の番組", slug="x1")
        underscored = make_show(name="Friday", slug="x2")
        fine = make_show(name="Good", slug="good")
        taken = make_show(name="Other", slug="show-1")
        Show.objects.filter(pk=japanese.pk).update(slug="毎朝の番組")
        Show.objects.filter(pk=underscored.pk).update(slug="Friday_Talk")
        before = SiteRevision.current()[0]
        self.migration.ascii_show_slugs(apps, None)
        slugs = dict(Show.objects.values_list("pk", "slug"))
        assert slugs == {japanese.pk: "show-2", underscored.pk: "friday-talk", fine.pk: "good", taken.pk: "show-1"}
        assert dict(FormerShowSlug.objects.values_list("slug", "show")) == {
            "毎朝の番組": japanese.pk,
            "Friday_Talk": underscored.pk,
        }
        assert SiteRevision.current()[0] > before  # ready pages of the old addresses are not served again

    def test_nothing_to_convert_moves_nothing(self):
        make_show(slug="good")
        before = SiteRevision.current()
        self.migration.ascii_show_slugs(apps, None)
        assert SiteRevision.current() == before
        assert not FormerShowSlug.objects.exists()
