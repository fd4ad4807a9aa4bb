"""Indonesia's provinces and the clock each one reads: WIB (UTC+7), WITA (UTC+8), WIT (UTC+9).

Pure (no Flask, no database): pages and notifications both ask it which zone a province is in, so a weaver in
Lombok is told "10.00 WITA", never the Jakarta clock. Indonesia has no daylight saving, so a fixed offset is exact.

Spelling is forgiving: case, spaces and punctuation do not matter ("Sulawesi  selatan", "D.I. Yogyakarta"), a
"Provinsi" in front is dropped, and the common short forms (NTB, DIY, Sulsel, Kepri, ...) and English names
(West Nusa Tenggara, South Sulawesi, ...) are known. Regencies and cities are not looked up."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone, tzinfo


@dataclass(frozen=True)
class Zone:
    abbr: str          # what Indonesians write after the time: "WITA"
    utc_offset: int    # hours
    iana: str          # the tz database's name, for anyone who needs it

    @property
    def tz(self) -> tzinfo:
        return timezone(timedelta(hours=self.utc_offset), self.abbr)


WIB = Zone("WIB", 7, "Asia/Jakarta")      # Waktu Indonesia Barat
WITA = Zone("WITA", 8, "Asia/Makassar")   # Waktu Indonesia Tengah
WIT = Zone("WIT", 9, "Asia/Jayapura")     # Waktu Indonesia Timur
ZONES = (WIB, WITA, WIT)

# Unknown or missing province -> WIB: it is the clock of Java and Sumatra, where most Indonesians (and most of the
# demo's shops and shoppers) live, and the one every page and message used before zones were known. Whatever we
# fall back to, the time is always printed with its zone's name, so a reader elsewhere can still convert it.
DEFAULT_ZONE = WIB

# the 38 provinces (official names, 2022 onwards) -> zone
PROVINCES: dict[str, Zone] = {
    # WIB: Sumatra and its islands, Java, West and Central Kalimantan
    "Aceh": WIB, "Sumatera Utara": WIB, "Sumatera Barat": WIB, "Riau": WIB, "Kepulauan Riau": WIB, "Jambi": WIB,
    "Sumatera Selatan": WIB, "Kepulauan Bangka Belitung": WIB, "Bengkulu": WIB, "Lampung": WIB,
    "DKI Jakarta": WIB, "Jawa Barat": WIB, "Banten": WIB, "Jawa Tengah": WIB, "DI Yogyakarta": WIB,
    "Jawa Timur": WIB, "Kalimantan Barat": WIB, "Kalimantan Tengah": WIB,
    # WITA: Bali, Nusa Tenggara, South/East/North Kalimantan, all of Sulawesi
    "Bali": WITA, "Nusa Tenggara Barat": WITA, "Nusa Tenggara Timur": WITA, "Kalimantan Selatan": WITA,
    "Kalimantan Timur": WITA, "Kalimantan Utara": WITA, "Sulawesi Utara": WITA, "Gorontalo": WITA,
    "Sulawesi Tengah": WITA, "Sulawesi Barat": WITA, "Sulawesi Selatan": WITA, "Sulawesi Tenggara": WITA,
    # WIT: Maluku and every Papua province
    "Maluku": WIT, "Maluku Utara": WIT, "Papua": WIT, "Papua Barat": WIT, "Papua Barat Daya": WIT,
    "Papua Selatan": WIT, "Papua Tengah": WIT, "Papua Pegunungan": WIT,
}

# other ways people write them -> the official name (spaces never matter: "Southeast" also finds "South East")
ALIASES: dict[str, str] = {
    "NAD": "Aceh", "Nanggroe Aceh Darussalam": "Aceh", "Daerah Istimewa Aceh": "Aceh",
    "Sumut": "Sumatera Utara", "North Sumatera": "Sumatera Utara",
    "Sumbar": "Sumatera Barat", "West Sumatera": "Sumatera Barat",
    "Sumsel": "Sumatera Selatan", "South Sumatera": "Sumatera Selatan",
    "Kepri": "Kepulauan Riau", "Riau Islands": "Kepulauan Riau",
    "Babel": "Kepulauan Bangka Belitung", "Bangka Belitung": "Kepulauan Bangka Belitung",
    "Bangka Belitung Islands": "Kepulauan Bangka Belitung",
    "Jakarta": "DKI Jakarta", "DKI": "DKI Jakarta", "Daerah Khusus Ibukota Jakarta": "DKI Jakarta",
    "Daerah Khusus Jakarta": "DKI Jakarta", "DK Jakarta": "DKI Jakarta", "Special Capital Region of Jakarta": "DKI Jakarta",
    "Jakarta Raya": "DKI Jakarta",
    "Jabar": "Jawa Barat", "West Java": "Jawa Barat",
    "Jateng": "Jawa Tengah", "Central Java": "Jawa Tengah",
    "Jatim": "Jawa Timur", "East Java": "Jawa Timur",
    "DIY": "DI Yogyakarta", "Yogyakarta": "DI Yogyakarta", "Daerah Istimewa Yogyakarta": "DI Yogyakarta",
    "Jogja": "DI Yogyakarta", "Jogjakarta": "DI Yogyakarta", "Yogya": "DI Yogyakarta",
    "DI Jogjakarta": "DI Yogyakarta", "Special Region of Yogyakarta": "DI Yogyakarta",
    "Kalbar": "Kalimantan Barat", "West Kalimantan": "Kalimantan Barat",
    "Kalteng": "Kalimantan Tengah", "Central Kalimantan": "Kalimantan Tengah",
    "Kalsel": "Kalimantan Selatan", "South Kalimantan": "Kalimantan Selatan",
    "Kaltim": "Kalimantan Timur", "East Kalimantan": "Kalimantan Timur",
    "Kaltara": "Kalimantan Utara", "North Kalimantan": "Kalimantan Utara",
    "NTB": "Nusa Tenggara Barat", "West Nusa Tenggara": "Nusa Tenggara Barat",
    "NTT": "Nusa Tenggara Timur", "East Nusa Tenggara": "Nusa Tenggara Timur",
    "Sulut": "Sulawesi Utara", "North Sulawesi": "Sulawesi Utara",
    "Sulteng": "Sulawesi Tengah", "Central Sulawesi": "Sulawesi Tengah",
    "Sulbar": "Sulawesi Barat", "West Sulawesi": "Sulawesi Barat",
    "Sulsel": "Sulawesi Selatan", "South Sulawesi": "Sulawesi Selatan",
    "Sultra": "Sulawesi Tenggara", "Southeast Sulawesi": "Sulawesi Tenggara",
    "Malut": "Maluku Utara", "North Maluku": "Maluku Utara",
    "Pabar": "Papua Barat", "West Papua": "Papua Barat", "Irian Jaya Barat": "Papua Barat",
    "PBD": "Papua Barat Daya", "Southwest Papua": "Papua Barat Daya",
    "South Papua": "Papua Selatan", "Central Papua": "Papua Tengah",
    "Highland Papua": "Papua Pegunungan", "Papua Highlands": "Papua Pegunungan",
    "Irian Jaya": "Papua",
}

_WORDS = re.compile(r"[a-z0-9]+")
_PREFIXES = ("provinsi", "propinsi", "prov", "province", "of")   # "Provinsi Bali", "Prov. NTB", "Province of Bali"
_SUFFIXES = ("province", "provinsi")                                # "Bali Province"
_SPELLINGS = {"sumatra": "sumatera", "kep": "kepulauan", "kepul": "kepulauan", "is": "islands"}


def _key(text: str) -> str:
    words = _WORDS.findall(str(text).casefold())
    while words and words[0] in _PREFIXES:
        words.pop(0)
    while words and words[-1] in _SUFFIXES:
        words.pop()
    return "".join(_SPELLINGS.get(w, w) for w in words)


_INDEX: dict[str, str] = {_key(name): name for name in PROVINCES}
_INDEX.update({_key(alias): name for alias, name in ALIASES.items()})


def province_name(text) -> str | None:
    """The official name for however a province was written, or None when it is not a province we know."""
    if not text or not isinstance(text, str):
        return None
    return _INDEX.get(_key(text))


def zone_for(province) -> Zone:
    """The zone of a province; WIB when it is missing or unknown (see DEFAULT_ZONE)."""
    name = province_name(province)
    return PROVINCES[name] if name else DEFAULT_ZONE


def parse_moment(moment) -> datetime:
    """A service timestamp (datetime or ISO text, `Z` allowed) as an aware datetime; naive ones are UTC."""
    when = moment if isinstance(moment, datetime) else datetime.fromisoformat(str(moment).replace("Z", "+00:00"))
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def local_time(moment_utc, province) -> tuple[datetime, str]:
    """The moment on the province's clock, and the zone's name to print after it:
    local_time(datetime(2026, 11, 26, 2, 0, tzinfo=utc), "NTB") -> (2026-11-26 10:00+08:00, "WITA").
    Naive datetimes are taken as UTC (the services speak UTC); ISO text is accepted too (ValueError if it is not)."""
    zone = zone_for(province)
    return parse_moment(moment_utc).astimezone(zone.tz), zone.abbr
