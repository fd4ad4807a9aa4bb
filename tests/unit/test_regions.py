"""Indonesia's provinces and their clocks (pasar.regions): every province, the three zones, forgiving spelling."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from pasar import regions
from pasar.regions import WIB, WIT, WITA, local_time, province_name, zone_for

# all 38 provinces (Kemendagri, since the four new Papua provinces of 2022) and the clock each one reads
EVERY_PROVINCE = {
    "Aceh": WIB, "Sumatera Utara": WIB, "Sumatera Barat": WIB, "Riau": WIB, "Kepulauan Riau": WIB, "Jambi": WIB,
    "Sumatera Selatan": WIB, "Kepulauan Bangka Belitung": WIB, "Bengkulu": WIB, "Lampung": WIB, "DKI Jakarta": WIB,
    "Jawa Barat": WIB, "Banten": WIB, "Jawa Tengah": WIB, "DI Yogyakarta": WIB, "Jawa Timur": WIB,
    "Kalimantan Barat": WIB, "Kalimantan Tengah": WIB,
    "Bali": WITA, "Nusa Tenggara Barat": WITA, "Nusa Tenggara Timur": WITA, "Kalimantan Selatan": WITA,
    "Kalimantan Timur": WITA, "Kalimantan Utara": WITA, "Sulawesi Utara": WITA, "Gorontalo": WITA,
    "Sulawesi Tengah": WITA, "Sulawesi Barat": WITA, "Sulawesi Selatan": WITA, "Sulawesi Tenggara": WITA,
    "Maluku": WIT, "Maluku Utara": WIT, "Papua": WIT, "Papua Barat": WIT, "Papua Barat Daya": WIT,
    "Papua Selatan": WIT, "Papua Tengah": WIT, "Papua Pegunungan": WIT,
}


def test_the_table_has_all_38_provinces_and_nothing_else():
    assert len(EVERY_PROVINCE) == 38
    assert regions.PROVINCES == EVERY_PROVINCE
    counts = {zone.abbr: sum(1 for z in EVERY_PROVINCE.values() if z is zone) for zone in regions.ZONES}
    assert counts == {"WIB": 18, "WITA": 12, "WIT": 8}


@pytest.mark.parametrize("province,zone", sorted(EVERY_PROVINCE.items()))
def test_every_province_reads_its_own_clock_however_it_is_written(province, zone):
    for spelling in (province, province.upper(), province.lower(), f"  Provinsi {province}. ",
                     province.replace(" ", "-"), province.replace(" ", "  ")):
        assert province_name(spelling) == province, spelling
        assert zone_for(spelling) is zone, spelling


def test_the_three_zones_and_their_offsets():
    assert [(z.abbr, z.utc_offset, z.iana) for z in regions.ZONES] == [
        ("WIB", 7, "Asia/Jakarta"), ("WITA", 8, "Asia/Makassar"), ("WIT", 9, "Asia/Jayapura")]
    moment = datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)
    assert [local_time(moment, p)[0].strftime("%H.%M") for p in ("Jawa Timur", "Bali", "Papua")] == \
        ["09.00", "10.00", "11.00"]


@pytest.mark.parametrize("written,name", [
    ("NTB", "Nusa Tenggara Barat"), ("ntb", "Nusa Tenggara Barat"), ("N.T.B.", "Nusa Tenggara Barat"),
    ("West Nusa Tenggara", "Nusa Tenggara Barat"), ("NTT", "Nusa Tenggara Timur"),
    ("Sulawesi Selatan", "Sulawesi Selatan"), ("Sulsel", "Sulawesi Selatan"), ("South Sulawesi", "Sulawesi Selatan"),
    ("Prov. Sulawesi-Selatan", "Sulawesi Selatan"), ("Southeast Sulawesi", "Sulawesi Tenggara"),
    ("South East Sulawesi", "Sulawesi Tenggara"),
    ("DI Yogyakarta", "DI Yogyakarta"), ("D.I. Yogyakarta", "DI Yogyakarta"), ("DIY", "DI Yogyakarta"),
    ("Daerah Istimewa Yogyakarta", "DI Yogyakarta"), ("Yogyakarta", "DI Yogyakarta"), ("Jogja", "DI Yogyakarta"),
    ("DKI Jakarta", "DKI Jakarta"), ("D.K.I. Jakarta", "DKI Jakarta"), ("Jakarta", "DKI Jakarta"),
    ("Daerah Khusus Jakarta", "DKI Jakarta"),
    ("Bali", "Bali"), ("BALI", "Bali"), ("Province of Bali", "Bali"), ("Bali Province", "Bali"),
    ("Papua Barat Daya", "Papua Barat Daya"), ("Southwest Papua", "Papua Barat Daya"), ("PBD", "Papua Barat Daya"),
    ("Highland Papua", "Papua Pegunungan"), ("West Papua", "Papua Barat"),
    ("Jatim", "Jawa Timur"), ("East Java", "Jawa Timur"), ("North Sumatra", "Sumatera Utara"),
    ("Kep. Riau", "Kepulauan Riau"), ("Kepri", "Kepulauan Riau"), ("Bangka Belitung", "Kepulauan Bangka Belitung"),
    ("Babel", "Kepulauan Bangka Belitung"), ("NAD", "Aceh"), ("Kaltara", "Kalimantan Utara"),
    ("Malut", "Maluku Utara"),
])
def test_short_forms_old_names_and_english_names_are_understood(written, name):
    assert province_name(written) == name


@pytest.mark.parametrize("unknown", [None, "", "   ", "Lombok Tengah", "Atlantis", "Papua Nugini", 42, "Jawa"])
def test_a_missing_or_unknown_province_reads_wib(unknown):
    assert province_name(unknown) is None
    assert zone_for(unknown) is WIB is regions.DEFAULT_ZONE
    when, zone = local_time(datetime(2026, 11, 26, 3, 0, tzinfo=timezone.utc), unknown)
    assert (when.hour, zone) == (10, "WIB")


def test_local_time_gives_the_local_moment_and_the_zones_name():
    when, zone = local_time(datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc), "NTB")
    assert zone == "WITA"
    assert (when.year, when.month, when.day, when.hour, when.minute) == (2026, 11, 26, 10, 0)
    assert when.utcoffset() == timedelta(hours=8)
    assert when == datetime(2026, 11, 26, 2, 0, tzinfo=timezone.utc)  # the same moment, another clock


def test_local_time_takes_naive_datetimes_as_utc_and_iso_text_and_crosses_midnight():
    assert local_time(datetime(2026, 11, 26, 2, 0), "Bali")[0].hour == 10
    when, zone = local_time("2026-12-31T15:30:00Z", "Papua Pegunungan")
    assert (when.year, when.month, when.day, when.hour, when.minute, zone) == (2027, 1, 1, 0, 30, "WIT")
    when, zone = local_time("2026-12-31T15:30:00+00:00", "Jawa Barat")
    assert (when.day, when.hour, zone) == (31, 22, "WIB")
    with pytest.raises(ValueError):
        local_time("not a time", "Bali")
