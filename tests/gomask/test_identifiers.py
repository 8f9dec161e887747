import pytest
from django.core.exceptions import ValidationError

from gomask.identifiers import (
    finess_departement,
    luhn_is_valid,
    make_finess,
    make_rpps,
    validate_adeli,
    validate_finess,
    validate_rpps,
)


def _flip_last_digit(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def test_luhn_accepts_a_textbook_number_and_refuses_its_neighbour():
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")


def test_a_generated_rpps_number_is_valid():
    assert validate_rpps(make_rpps(12345)) == make_rpps(12345)


def test_rpps_with_spaces_is_normalised():
    number = make_rpps(42)
    spaced = f"{number[:3]} {number[3:7]} {number[7:]}"
    assert validate_rpps(spaced) == number


@pytest.mark.parametrize("value", ["1234567890", "123456789012", "1000000000A", "", "abcdefghijk"])
def test_rpps_must_have_eleven_digits(value):
    with pytest.raises(ValidationError, match="11 chiffres"):
        validate_rpps(value)


def test_rpps_with_a_wrong_key_is_refused():
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_rpps(_flip_last_digit(make_rpps(777)))


def test_adeli_checks_nine_digits_only():
    assert validate_adeli("32 100 1234") == "321001234"
    with pytest.raises(ValidationError, match="9 chiffres"):
        validate_adeli("32100123")


def test_a_generated_finess_in_the_gers_is_valid():
    number = make_finess("32", 1)
    assert number.startswith("32") and len(number) == 9
    assert validate_finess(number) == number


def test_finess_with_a_wrong_key_is_refused():
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_finess(_flip_last_digit(make_finess("31", 55)))


# Numbers published in the FINESS extraction (etalab-cs1100507-stock) and in ARS decisions,
# with the département each belongs to: never produced by make_finess.
PUBLISHED_FINESS_NUMBERS = [
    ("010000024", "01"),  # CH de Fleyriat, Viriat
    ("320000086", "32"),  # Centre hospitalier d'Auch
    ("970100400", "971"),  # CH Louis Constant Fleming, Saint-Martin (Guadeloupe in FINESS)
    ("970210126", "972"),  # CMPP intersectoriel Aloès, Ducos (Martinique)
    ("970300026", "973"),  # Centre hospitalier de Cayenne (Guyane)
    ("970400024", "974"),  # CHU site Félix Guyon, Saint-Denis (La Réunion)
    ("980501506", "976"),  # Lieu de vie Mavouna Mema, Chirongui (Mayotte)
    ("980502199", "976"),  # Ubipharm Mayotte, Koungou
    ("980600027", "986"),  # Hôpital de Sia (Wallis-et-Futuna)
    ("2A0000154", "2A"),  # Clinique du sud de la Corse
    ("2A0002606", "2A"),  # Centre hospitalier de Sartène
    ("2B0000020", "2B"),  # Centre hospitalier de Bastia
    ("2B0005342", "2B"),  # Centre hospitalier de Calvi
]


@pytest.mark.parametrize(("number", "departement"), PUBLISHED_FINESS_NUMBERS)
def test_every_published_finess_number_is_accepted_in_its_departement(number, departement):
    assert validate_finess(number) == number
    assert finess_departement(number) == departement


@pytest.mark.parametrize("number", ["970210126", "980501506", "2A0000154", "2B0005342"])
def test_overseas_and_corsican_finess_with_a_wrong_key_is_refused(number):
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_finess(_flip_last_digit(number))


@pytest.mark.parametrize(("departement", "prefix"), [("971", "9701"), ("972", "9702"), ("976", "9805")])
def test_generated_overseas_finess_follows_the_published_numbering(departement, prefix):
    number = make_finess(departement, 7)
    assert number.startswith(prefix)
    assert validate_finess(number) == number
    assert finess_departement(number) == departement


@pytest.mark.parametrize("departement", ["2A", "2B"])
def test_generated_corsican_finess_carries_a_real_key(departement):
    number = make_finess(departement, 154)
    assert validate_finess(number) == number
    with pytest.raises(ValidationError, match="clé de contrôle"):
        validate_finess(_flip_last_digit(number))


def test_a_finess_in_an_unknown_overseas_territory_is_refused():
    with pytest.raises(ValidationError, match="département"):
        validate_finess(make_finess("972", 1).replace("9702", "9709", 1))


@pytest.mark.parametrize("number", ["990000001", "200000001", "000000001", "960000001"])
def test_finess_must_start_with_a_real_departement(number):
    with pytest.raises(ValidationError, match="département"):
        validate_finess(number)


@pytest.mark.parametrize("number", ["3200", "32000000000", "32ABCDEFG", "3A0000001"])
def test_malformed_finess_is_refused(number):
    with pytest.raises(ValidationError, match="9 caractères"):
        validate_finess(number)
