"""Admin details from issue 25: the host picker puts the typed name first; every date and time input has a name."""

import re

import pytest

from tests.factories import make_actor, make_show

pytestmark = pytest.mark.django_db


def test_the_name_typed_comes_before_names_that_contain_it(admin_client):
    make_actor(name="お嬢様ずんだもん", slug="ojousama")
    make_actor(name="ずんだもん", slug="zundamon")
    make_actor(name="ずんだもん先生", slug="sensei")
    response = admin_client.get(
        "/admin/autocomplete/",
        {"term": "ずんだもん", "app_label": "catalogue", "model_name": "airingslot", "field_name": "host"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["ずんだもん", "ずんだもん先生", "お嬢様ずんだもん"]


def test_the_add_forms_date_and_time_inputs_are_named(admin_client):
    make_show()
    page = admin_client.get("/admin/catalogue/episode/add/").text
    date = re.search(r'<input[^>]*name="published_at_0"[^>]*>', page).group(0)
    time = re.search(r'<input[^>]*name="published_at_1"[^>]*>', page).group(0)
    assert 'aria-label="公開日"' in date
    assert 'aria-label="公開時刻"' in time
