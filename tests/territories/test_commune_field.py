"""A place typed by people: a postal code is accepted everywhere; when it (or a name) fits
several communes, their names are offered as choices to click."""

import html

import pytest
from django import forms
from django.urls import reverse

from territories.forms import CommuneField, PlaceField
from territories.selectors import find_communes
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


class ResidenceForm(forms.Form):
    commune = CommuneField(label="Commune")


def test_32400_is_shared_by_several_communes(occitanie):
    assert len(find_communes("32400")) > 1


def test_a_shared_postal_code_offers_the_commune_names_as_buttons_to_click(occitanie):
    form = ResidenceForm({"commune": "32400"})
    assert not form.is_valid()
    assert "choisissez la vôtre" in form.errors["commune"][0]
    page = html.unescape(str(form["commune"]))
    assert 'name="commune_choice" value="Riscle (32400)"' in page
    assert ">Riscle</button>" in page
    assert "(32344)" not in page  # INSEE codes mean nothing to patients


def test_clicking_a_commune_name_selects_it(occitanie):
    form = ResidenceForm({"commune": "32400", "commune_choice": "Riscle (32400)"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["commune"].insee_code == "32344"


@pytest.mark.parametrize(
    "typed", ["Riscle (32400)", "riscle(32400)", "RISCLE", "Riscle", "31000", " 31 000 ", "Riscle (32 400)"]
)
def test_a_name_with_its_postal_code_or_a_single_match_is_accepted(occitanie, typed):
    assert ResidenceForm({"commune": typed}).is_valid()


def test_an_insee_code_still_works_when_it_is_no_postal_code(occitanie):
    form = ResidenceForm({"commune": "32344"})
    assert form.is_valid() and form.cleaned_data["commune"].name == "Riscle"


def test_an_unknown_place_is_explained_in_french(occitanie):
    form = ResidenceForm({"commune": "Xyzzyville"})
    assert not form.is_valid() and "Aucune commune ne correspond" in form.errors["commune"][0]


def test_the_help_text_no_longer_speaks_of_insee_codes():
    assert "INSEE" not in str(CommuneField().help_text)


def test_outside_a_form_the_error_lists_the_choices_in_words(occitanie):
    with pytest.raises(forms.ValidationError) as refused:
        CommuneField(widget=forms.TextInput).clean("32400")
    assert "Riscle (32400)" in refused.value.messages[0]


def test_a_place_to_measure_distances_from_takes_a_shared_postal_code_at_once(occitanie):
    assert PlaceField().clean("32400").insee_code == "32344"
    assert PlaceField().clean("32 400").insee_code == "32344"  # as postal codes are often written


def test_the_professional_mask_search_accepts_a_shared_postal_code(client, nurse, products):
    client.login(email=nurse.email, password=PASSWORD)
    response = client.get(reverse("distribution:find_masks"), {"place": "32400"})
    assert response.status_code == 200
    assert response.context["origin"]["label"] == "Riscle"
    assert "Plusieurs communes" not in html.unescape(response.content.decode())


def test_pressing_enter_after_retyping_submits_no_choice(occitanie):
    """The form's first submit button is what Enter clicks: a hidden one without a choice."""
    form = ResidenceForm({"commune": "32400"})
    form.is_valid()
    page = str(form["commune"])
    first_button = page[page.index("<button") : page.index(">", page.index("<button"))]
    assert "name=" not in first_button and 'aria-hidden="true"' in first_button
