"""The show form's slug (issue 25): ASCII only with a Japanese message, suggested when left empty, former ones listed."""

import pytest

from episodes.catalogue.models import Show
from episodes.catalogue.models.slugs import SLUG_MESSAGE
from tests.factories import make_show

pytestmark = pytest.mark.django_db

ADD = "/admin/catalogue/show/add/"


def show_form(**fields) -> dict:
    """What an editor sends for a new show (the schedule rows left out: the inline keeps them as they are)."""
    return {
        "name": "ずんだもんの朝ニュース",
        "slug": "",
        "description": "朝のニュース",
        "long_description": "",
        "author": "テスト局",
        "owner_name": "",
        "owner_email": "owner@example.jp",
        "copyright": "",
        "website_url": "",
        "language": "ja",
        "category": "Technology",
        "update_frequency": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        **fields,
    }


class TestShowSlugInTheAdmin:
    @pytest.mark.parametrize("typed", ["ずんだもん", "a b"])
    def test_a_slug_that_is_not_ascii_is_refused_in_japanese_and_nothing_typed_is_lost(self, admin_client, typed):
        response = admin_client.post(ADD, show_form(slug=typed, description="打ち込んだ説明"))
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert form.errors["slug"] == [SLUG_MESSAGE]
        assert form["slug"].value() == typed
        assert form["description"].value() == "打ち込んだ説明"
        assert SLUG_MESSAGE in response.text
        assert not Show.objects.exists()

    def test_left_empty_it_is_made_from_the_name(self, admin_client):
        response = admin_client.post(ADD, show_form())
        assert response.status_code == 302
        assert Show.objects.get().slug == "show-1"
        admin_client.post(ADD, show_form(name="Zunda Morning"))
        assert Show.objects.get(name="Zunda Morning").slug == "zunda-morning"

    def test_the_form_offers_the_name_as_an_ascii_slug_while_typing(self, admin_client):
        text = admin_client.get(ADD).text
        assert "django-admin-prepopulated-fields-constants" in text
        assert "&quot;#id_slug&quot;" in text and "&quot;allowUnicode&quot;: false" in text

    def test_changing_it_keeps_the_old_address_and_shows_it(self, admin_client):
        show = make_show(name="ずんだもんの朝ニュース", slug="morning")
        change = f"/admin/catalogue/show/{show.pk}/change/"
        response = admin_client.post(change, show_form(slug="zunda-morning"))
        assert response.status_code == 302
        assert list(show.former_slugs.values_list("slug", flat=True)) == ["morning"]
        assert "/shows/morning/" in admin_client.get(change).text

    def test_another_shows_former_slug_is_refused(self, admin_client):
        moved = make_show(slug="morning")
        moved.slug = "zunda-morning"
        moved.save()
        response = admin_client.post(ADD, show_form(name="別の番組", slug="morning"))
        assert response.status_code == 200
        assert "以前のURLとして転送に使われています" in response.context["adminform"].form.errors["slug"][0]
