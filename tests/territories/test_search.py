"""Finding communes by postal code, name or distance."""

import pytest

from territories.selectors import commune_by_code, communes_within_km, find_communes

pytestmark = pytest.mark.django_db


def test_search_by_postal_code_32400_finds_riscle(occitanie):
    communes = find_communes("32400")

    assert communes[0].insee_code == "32344"
    assert all(c.departement_id == "32" for c in communes)


def test_search_by_postal_code_lists_each_commune_once(occitanie):
    codes = [c.insee_code for c in find_communes("31000", limit=50)]

    assert codes == ["31555"]


def test_search_by_name_ignores_case_accents_and_hyphens(occitanie):
    assert find_communes("LEZAT SUR LEZE")[0].insee_code == "09167"
    assert find_communes("lézat-sur-lèze")[0].insee_code == "09167"


def test_search_reads_st_as_saint(occitanie):
    assert find_communes("St-Girons")[0].insee_code == "09261"
    assert find_communes("saint gir")[0].insee_code == "09261"


def test_search_by_name_prefix_puts_the_most_populated_first(occitanie):
    names = [c.name for c in find_communes("toul", limit=3)]

    assert names[0] == "Toulouse"
    assert len(names) == 3


def test_search_respects_the_limit(occitanie):
    assert len(find_communes("saint", limit=7)) == 7


def test_search_for_nothing_finds_nothing(occitanie):
    assert find_communes("") == []
    assert find_communes(" - ") == []
    assert find_communes("zzzz") == []


def test_commune_by_code_finds_riscle_and_refuses_unknown_codes(occitanie):
    assert commune_by_code("32344").name == "Riscle"
    assert commune_by_code("99999") is None
    assert commune_by_code("not a code") is None


def test_communes_within_10_km_of_riscle_are_sorted_by_distance(occitanie):
    found = communes_within_km(43.65695, -0.08764, 10)

    assert found[0][0].insee_code == "32344"
    assert found[0][1] == pytest.approx(0, abs=0.01)
    distances = [distance for _, distance in found]
    assert distances == sorted(distances)
    assert max(distances) <= 10
    assert "31555" not in {c.insee_code for c, _ in found}
