"""Which official village a typed address means (pasar.region_match): sure only when one village fits."""
from __future__ import annotations

import pytest

from pasar.region_match import RegionIndex, name_key

ROWS = [("35", "Jawa Timur"), ("35.05", "Kabupaten Blitar"), ("35.05.07", "Sanankulon"),
        ("35.05.07.2001", "Kalipucung"), ("35.05.07.2002", "Sumberejo"), ("35.72", "Kota Blitar"),
        ("35.72.01", "Sukorejo"), ("35.72.01.1001", "Sumberejo"), ("33", "Jawa Tengah"),
        ("33.01", "Kabupaten Cilacap"), ("33.01.01", "Sanankulon"), ("33.01.01.2001", "Kalipucung")]


@pytest.fixture(scope="module")
def index():
    return RegionIndex(ROWS)


@pytest.mark.parametrize("typed, level, key", [("Kec. Sanankulon", 3, "sanankulon"), ("KABUPATEN  Blitar", 2, "blitar"),
                                               ("Kota Blitar", 2, "blitar"), ("Desa Kalipucung", 4, "kalipucung"),
                                               ("Kota", 2, "kota"), (None, 4, "")])
def test_the_levels_word_case_and_dots_do_not_matter(typed, level, key):
    assert name_key(typed, level) == key


def test_one_village_in_one_district_is_sure(index):
    match = index.best_match("Kalipucung", "Kec. Sanankulon", "Blitar", "Jawa Timur")
    assert (match.village_code, match.sure) == ("35.05.07.2001", True)


def test_a_district_name_in_two_regencies_is_unsure_until_the_regency_tells_them_apart(index):
    unsure = index.best_match("Kalipucung", "Sanankulon")
    assert unsure.sure is False and unsure.village_code in ("35.05.07.2001", "33.01.01.2001")
    assert index.best_match("Kalipucung", "Sanankulon", "Cilacap").village_code == "33.01.01.2001"


def test_a_typo_is_only_a_suggestion_and_nothing_fitting_is_no_match(index):
    typo = index.best_match("Kalipucng", "Sanankulon", "Blitar")
    assert (typo.village_code, typo.sure, typo.reason) == ("35.05.07.2001", False, "a village with a similar name")
    assert index.best_match("Sukamaju", "Sanankulon", "Blitar") == index.best_match("Sukamaju", "Sanankulon", "Blitar")
    assert index.best_match("Sukamaju", "Sanankulon", "Blitar").village_code is None
    assert index.best_match("Kalipucung", "Entah", "Blitar").reason == "no district fits"
