"""Which official village a free-text address means (issue 18: "existing free-text addresses migrate, best match,
flagged when unsure").

Pure: an in-memory index of the Kemendagri rows (data/wilayah/wilayah.csv, code and name), built once by the one-off
command that migrates a service's own rows (the catalog's shops). A service never reads the gateway's `regions`
table (each service owns its data), so the command reads the same CSV the gateway loads. The gateway's
`regions.best_match` answers the same question from its indexed table for the API.

The rule: each level given narrows the one below it. A village is `sure` only when exactly one village fits every
name given and its district is the only district that fits; anything else is an unsure suggestion (or none) that a
person confirms on the shop's village page."""
from __future__ import annotations

import csv
import difflib
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data" / "wilayah" / "wilayah.csv"
PREFIX_WORDS = {1: ("provinsi", "prov"), 2: ("kabupaten", "kab", "kota"), 3: ("kecamatan", "kec"),
                4: ("desa", "kelurahan", "kel", "ds")}


def name_key(name: str | None, level: int) -> str:
    """Lower case, single spaces, no dots or commas, without the level's word: "Kec. Sanankulon" is "sanankulon",
    "Kabupaten Blitar" and "Kota Blitar" are both "blitar" (the narrowing keeps whichever fits)."""
    words = re.sub(r"[.,]", " ", (name or "").lower()).split()
    if len(words) > 1 and words[0] in PREFIX_WORDS[level]:
        words = words[1:]
    return " ".join(words)


@dataclass(frozen=True)
class Match:
    village_code: str | None   # the best village, sure or suggested
    sure: bool                 # exactly one village fits every name given
    reason: str                # "one village fits", "several villages fit", "no village fits", "no district fits"


class RegionIndex:
    def __init__(self, rows):
        self.names: dict[str, str] = {}
        self.by_key: dict[tuple[int, str], list[str]] = defaultdict(list)
        self.children: dict[str, list[str]] = defaultdict(list)
        for code, name in rows:
            level = code.count(".") + 1
            self.names[code] = name
            self.by_key[(level, name_key(name, level))].append(code)
            if level > 1:
                self.children[code.rsplit(".", 1)[0]].append(code)

    @classmethod
    def from_csv(cls, path: Path = DATA) -> "RegionIndex":
        with open(path, newline="", encoding="utf-8") as handle:
            return cls((row["kode"].strip(), row["nama"].strip()) for row in csv.DictReader(handle))

    def _named(self, level: int, name: str | None, under: list[str] | None) -> list[str]:
        key = name_key(name, level)
        if not key:
            return []
        codes = self.by_key.get((level, key), [])
        return [c for c in codes if under is None or c.rsplit(".", 1)[0] in under]

    def best_match(self, village: str | None, district: str | None, regency: str | None = None,
                   province: str | None = None) -> Match:
        provinces = self._named(1, province, None) or None
        regencies = self._named(2, regency, provinces) or None
        districts = self._named(3, district, regencies)
        if not districts:
            return Match(None, False, "no district fits")
        villages = self._named(4, village, districts)
        if len(villages) == 1:
            return Match(villages[0], len(districts) == 1, "one village fits" if len(districts) == 1
                         else "one village fits, in one of several districts of that name")
        if villages:
            return Match(sorted(villages)[0], False, "several villages fit")
        # a typo ("Kalipucng"): the closest village name in the districts that fit, as a suggestion only
        nearby = {name_key(self.names[c], 4): c for d in districts for c in self.children.get(d, [])}
        close = difflib.get_close_matches(name_key(village, 4), list(nearby), n=1, cutoff=0.8)
        if close:
            return Match(nearby[close[0]], False, "a village with a similar name")
        return Match(None, False, "no village fits")
