"""The OPERAT declaration file: one year's consumption, surfaces and activities per EFA.

Every year, by 30 September, the buildings subject to the décret tertiaire declare on
ADEME's OPERAT platform the consumption of the previous year (N−1) per energy, with the
surfaces of their activities. ``operat_file`` writes that declaration for a territory as
one CSV file, one line per building (entité fonctionnelle assujettie, EFA), ready to be
checked then entered or imported on https://operat.ademe.fr.

What the sources say (checked, search tool, 2026):

- Arrêté du 10 avril 2020 (NOR LOGL2005904A, consolidated text on Légifrance,
  https://www.legifrance.gouv.fr/loda/id/JORFTEXT000041842389):
  - art. 13 II: the data « peuvent être renseignées directement sur la plateforme OPERAT
    ou via l'interface de programmation d'application par un fichier récapitulatif
    standardisé au format CSV. Le contenu et la forme de ce fichier est présenté en
    Annexe VI »; the year N−1 is transmitted by 30 September;
  - art. 13 I: the assujetti may use « le transfert de fichiers au format Excel ou CSV »;
  - annexe VI « Modèle de fichier d'échange de données standardisées »: the data are
    organised in tables; table 4a (consommations annuelles) holds the year and the first
    month of the 12 consecutive months, the perimeter of the consumption (individuelles
    de l'EFA / réparties / espaces communs) and the consumption per energy in the units
    listed below; tables 3 and 4b hold the activity categories and sub-categories with
    their surfaces; table 2 holds the INSEE code of the commune and « le référentiel
    patrimonial spécifique de l'assujetti » (an identifier of 10 to 12 characters);
  - annexe I: « La saisie des quantités d'énergie sur la plateforme OPERAT s'effectue par
    type d'énergie et sont exprimées dans l'unité qui a présidé à leur achat » (kWh of
    electricity, kWh PCS of network gas, litres of fuel oil, kg of propane or wood…), with
    the factors to final energy: 1 l of fuel oil = 9,97 kWh PCI, 1 kg of propane =
    12,66 kWh PCI, 1 kg of wood pellets = 4,6 kWh PCI.
- Annexe II (replaced by annexe I of the arrêté du 1er août 2025, NOR ATDL2430864A,
  Bulletin officiel): the 60 activity categories (``CATEGORIES`` below) and their
  sub-categories, e.g. « Bureaux - Bureaux Standards (cloisonnés - attribués) »,
  « Enseignement primaire - Salle d'enseignement Elémentaire ».
- FAQ OPERAT relayed by Citron (https://citron.io/faq/la-plateforme-operat/, PO2): the
  EFA of a structure can be created « par transmission de fichier au format CSV ».

What could not be confirmed: the column headers, order, separator, encoding and decimal
mark of the CSV model the platform hands out (it is downloaded from a logged-in OPERAT
account; no public copy was found). They are gathered in ``FILE_FORMAT`` and ``COLUMNS``
below, marked « à vérifier », so that they are fixed in one place once checked against
the platform. The choice meanwhile is what opens in a French spreadsheet: « ; »
separated, UTF-8 with BOM, comma as decimal mark, the headers worded as annexe VI words
the data.

Nothing is filled in silently: a building without consumption for an energy it uses, or
without surfaces per activity, gets an empty cell and a French warning naming it; an
energy bought in litres or kilograms is converted from the kWh Beffroi keeps with the
annexe I factor, and a warning asks to check it against the deliveries.

The consumption of the year per energy is ``annual``'s: the invoices entered in
``annual_energy`` (authoritative), else the meters when they cover 90 % of the year; an
energy measured on less than that is left empty with a warning giving its coverage. The
buildings are those ``decret.subjects`` finds subject (1,000 m² alone or on their site,
or forced by hand), among the ones the user sees.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson
from sqlalchemy import Connection

from ...core.access import TenantScope
from ...core.errors import Invalid
from .annual import AnnualEnergy, EnergyYear, measured_days, visible_buildings, year_of
from .decret import subjects
from .kinds import ENERGIES, ENERGY_LABELS, HEATING_ENERGY

FIRST_YEAR = 2010  # the reference year is 2010 or later (art. L174-1 CCH)

# -- the file's format: one place to fix once checked against the platform ----------------
FILE_FORMAT = {
    "separator": ";",  # à vérifier
    "encoding": "utf-8-sig",  # UTF-8 with BOM, à vérifier
    "decimal_mark": ",",  # à vérifier
    "line_end": "\r\n",
    "first_month": 1,  # plage de 12 mois: janvier à décembre de l'année déclarée
    "perimeter": "Consommations individuelles de l'entité fonctionnelle",  # annexe VI 4a
}


@dataclass(frozen=True)
class OperatEnergy:
    """An energy as OPERAT takes it: its column, the unit it was bought in and the kWh
    (final energy, as Beffroi keeps it) in one unit."""

    code: str
    column: str
    unit: str
    kwh_per_unit: float
    note: str = ""


# Labels and units from annexe VI table 4a, factors from annexe I (verified); the exact
# header text of the platform's model is « à vérifier ».
OPERAT_ENERGIES = (
    OperatEnergy("electricite", "Electricité (kWh)", "kWh", 1.0),
    OperatEnergy("gaz", "Gaz naturel-réseaux (kWh)", "kWh", 1.0,
                 "kWh PCS, comme sur la facture"),
    OperatEnergy("propane", "Gaz propane (kg)", "kg", 12.66),
    OperatEnergy("fioul", "Fioul domestique (l)", "l", 9.97),
    OperatEnergy("bois", "Bois-Granulés (pellets) ou briquettes (kg)", "kg", 4.6,
                 "forme du bois à vérifier (plaquettes : 2,2 ou 2,7 kWh/kg ; bûches : "
                 "1 680 kWh/stère)"),
    OperatEnergy("reseau_chaleur", "Réseau de chaleur (kWh)", "kWh", 1.0),
    OperatEnergy("reseau_froid", "Réseau de froid (kWh électrique)", "kWh", 1.0),
)
# Every energy of the building kind has its column (in annexe VI's order).
assert {e.code for e in OPERAT_ENERGIES} == set(ENERGIES)

# The 60 activity categories of annexe II (arrêté du 1er août 2025, annexe I), verified.
CATEGORIES = (
    "Accueil petite enfance", "Audiovisuel - Radio",
    "Audiovisuel - Télévision et production cinéma", "Blanchisserie dite « industrielle »",
    "Bureaux - Services Publics - Banques", "Commerce de gros",
    "Commerce - Grande Surface Alimentaire - Supérette", "Commerce - GSA - Petit supermarché",
    "Commerce - GSA - Grand supermarché", "Commerce - GSA - Hypermarché",
    "Commerce - Grande Surface de Bricolage",
    "Commerce - Grande Surface Spécialisé - Equipement de la personne et loisirs",
    "Commerce - Grande Surface Spécialisé - Equipement de la maison",
    "Commerce - Grande Surface Spécialisé - Equipement automobile et moto",
    "Commerce - Parties communes des centres commerciaux et des galeries commerciales",
    "Commerces et services de détail - Equipement de la personne et loisirs",
    "Commerces et services de détail - Equipement de la maison",
    "Commerces et services de détail - Commerces alimentaires",
    "Commerce - Halles et marchés couverts",
    "Culture et spectacles - Bibliothèque, médiathèque et service d'archives",
    "Culture et spectacles - Musées ou centre d'art sans protection patrimoniale",
    "Culture et spectacles - Musées ou centre d'art avec protection patrimoniale",
    "Culture et spectacles - Salle de spectacles vivants sans protection patrimoniale",
    "Culture et spectacles - Salle de spectacles vivants avec protection patrimoniale",
    "Culture et spectacles - Cinéma", "Culture et spectacles - Espèces vivantes",
    "Enseignement Primaire", "Enseignement Secondaire", "Enseignement Supérieur",
    "Enseignement - Formation continue pour adultes", "Etablissements de nuit et de loisirs",
    "Hébergement touristique de courte durée", "Hôtellerie", "Imprimerie et reprographie",
    "Justice - Tribunal", "Justice - Etablissement pénitentiaire",
    "Justice - Protection Judiciaire de la Jeunesse", "Laboratoires", "Logistique",
    "Parc d'attractions et parc à thèmes", "Parc d'expositions", "Palais des congrès",
    "Résidence de tourisme et village ou club de vacances", "Restauration - Débit de boisson",
    "Salle Serveurs et centre d'exploitation informatique (Data Center)",
    "Santé - Centre hospitalier", "Santé - Etablissement médico-social", "Santé - Santé",
    "Service funéraire", "Sport", "Stationnement",
    "Terrain de camping et parcs pour caravanes ou véhicules de loisirs",
    "Transport aérien de voyageurs - Site aéroportuaire",
    "Transport ferroviaire et guidé de voyageurs", "Transport maritime ou fluvial de voyageurs",
    "Transport routier de voyageurs", "Vente et services véhicules légers",
    "Vente et services véhicules utilitaires et véhicules industriels",
    "Vente et services motocycles", "Vente et services engins nautiques et de plaisance",
)
# Sub-categories are named after their family: « Bureaux - … », « Banque - … »,
# « Enseignement primaire - … », « GSA - … ».
_FAMILIES = tuple(sorted({c.split(" - ")[0].casefold() for c in CATEGORIES}
                         | {"bureaux", "banque", "gsa"}))


def known_activity(activity: str) -> bool:
    """Whether an activity names an OPERAT category or one of its sub-categories."""
    text = activity.strip().casefold()
    return (any(text == c.casefold() or text.startswith(c.casefold() + " - ")
                for c in CATEGORIES)
            or any(text.startswith(f + " - ") for f in _FAMILIES))


# The columns, in order (headers « à vérifier »); activities repeat as many times as the
# building with the most activities needs.
COLUMNS = (
    "Identifiant OPERAT de l'EFA", "Référence interne", "Nom de l'EFA", "Site",
    "Code commune INSEE", "Année de déclaration des consommations", "Mois de début",
    "Périmètre des consommations", "Année de référence", "Surface totale (m²)",
)
ACTIVITY_COLUMNS = ("Catégorie d'activité {n}", "Surface activité {n} (m²)")
ENERGY_NAMES = dict(ENERGY_LABELS)


@dataclass(frozen=True)
class Building:
    """What the file needs of a building asset."""

    id: int
    ref: str
    name: str
    commune_insee: str | None
    properties: Mapping[str, Any]

    @property
    def areas(self) -> list[tuple[str, float]]:
        return [(str(e.get("activity", "")).strip(), float(e.get("area_m2") or 0))
                for e in self.properties.get("tertiary_areas") or []
                if isinstance(e, Mapping)]

    @property
    def tertiary_area_m2(self) -> float | None:
        areas = self.areas
        return sum(a for _, a in areas) if areas else None

    @property
    def site(self) -> str:
        return str(self.properties.get("site") or "").strip()


@dataclass
class OperatFile:
    """The declaration: its text (with BOM), its lines and the warnings to read first."""

    year: int
    text: str
    buildings: list[Building]
    warnings: list[dict[str, str]] = field(default_factory=list)

    @property
    def content(self) -> bytes:
        return self.text.encode("utf-8")

    @property
    def file_name(self) -> str:
        return f"operat-consommations-{self.year}.csv"


def parse_year(text: Any, current_year: int) -> int:
    """The declared year (consumption year), between 2010 and last year; ``Invalid`` in
    French otherwise (the current year is not over)."""
    raw = str(text if text is not None else "").strip()
    try:
        year = int(raw)
    except ValueError:
        year = None
    last = current_year - 1
    if year is None or not FIRST_YEAR <= year <= last:
        shown = f"« {raw[:12]} »" if raw else "absente"
        raise Invalid("Année refusée.", errors=[{
            "field": "year",
            "message": f"année {shown} : indiquez l'année des consommations déclarées, entre "
                       f"{FIRST_YEAR} et {last} (l'année en cours n'est pas terminée)"}])
    return year


def expected_energies(building: Building) -> list[str]:
    """Energies a building certainly uses: electricity, its heating and hot water."""
    out = ["electricite"]
    for key in ("heating", "hot_water"):
        code = HEATING_ENERGY.get(str(building.properties.get(key) or ""))
        if code and code not in out:
            out.append(code)
    return out


def _number(value: float, decimals: int = 0) -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", FILE_FORMAT["decimal_mark"])


def write_file(buildings: list[Building], year: int,
               consumption: Mapping[int, Iterable[EnergyYear]],
               progress: Callable[[int, int], None] | None = None) -> OperatFile:
    """The declaration of ``year`` for these (subject) buildings, with its warnings;
    ``consumption``: each building's energies of the year (``annual.year_of``)."""
    warnings: list[dict[str, str]] = []

    def warn(b: Building, message: str) -> None:
        warnings.append({"ref": b.ref, "name": b.name, "message": message})

    n_activities = max([len(b.areas) for b in buildings] + [1])
    header = list(COLUMNS)
    for n in range(1, n_activities + 1):
        header += [c.format(n=n) for c in ACTIVITY_COLUMNS]
    header += [e.column for e in OPERAT_ENERGIES]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=FILE_FORMAT["separator"],
                        lineterminator=FILE_FORMAT["line_end"])
    writer.writerow(header)
    for done, b in enumerate(buildings, start=1):
        props = b.properties
        operat_id = str(props.get("operat_id") or "").strip()
        if not operat_id:
            warn(b, "identifiant OPERAT absent : créez l'EFA sur OPERAT puis saisissez son "
                    "identifiant dans la fiche du bâtiment")
        reference_year = props.get("reference_year")
        if reference_year is None:
            warn(b, "année de référence non renseignée")
        areas = b.areas
        if not areas:
            warn(b, "surfaces par activité absentes : catégories et surfaces laissées vides, "
                    "à renseigner avant la déclaration")
        for activity, _ in areas:
            if not known_activity(activity):
                warn(b, f"activité « {activity} » absente des catégories OPERAT (annexe II "
                        "de l'arrêté du 10 avril 2020) : à vérifier")
        row = [operat_id, b.ref, b.name, b.site, b.commune_insee or "", str(year),
               str(FILE_FORMAT["first_month"]), FILE_FORMAT["perimeter"],
               str(reference_year) if reference_year is not None else "",
               _number(b.tertiary_area_m2, 1) if areas else ""]
        for n in range(n_activities):
            row += ([areas[n][0], _number(areas[n][1], 1)] if n < len(areas) else ["", ""])
        energies = list(consumption.get(b.id, ()))
        kwh = {e.energy: e.kwh for e in energies if e.kwh is not None}
        for e in energies:
            if e.kwh is None and e.measured_kwh is not None:
                warn(b, f"{ENERGY_NAMES[e.energy]} : compteurs relevés sur "
                        f"{_number(e.coverage * 100)} % de l'année seulement "
                        f"({_number(e.measured_kwh)} kWh mesurés) : cellule laissée vide, à "
                        "compléter depuis les factures")
        if not kwh:
            warn(b, f"aucune consommation connue pour {year} : colonnes d'énergie vides, à "
                    "compléter depuis les factures")
        else:
            for code in expected_energies(b):
                if code not in kwh and not any(e.energy == code and e.measured_kwh is not None
                                               for e in energies):
                    warn(b, f"consommation de {ENERGY_NAMES[code]} absente pour {year} "
                            "alors que le bâtiment en consomme : cellule laissée vide")
        for energy in OPERAT_ENERGIES:
            value = kwh.get(energy.code)
            if value is None:
                row.append("")
                continue
            quantity = value / energy.kwh_per_unit
            row.append(_number(quantity))
            if energy.unit != "kWh":
                note = f" ; {energy.note}" if energy.note else ""
                warn(b, f"{ENERGY_NAMES[energy.code]} : {_number(value)} kWh convertis en "
                        f"{_number(quantity)} {energy.unit} ({_number(energy.kwh_per_unit, 2)} "
                        f"kWh/{energy.unit}, annexe I) : vérifier avec les livraisons{note}")
        writer.writerow(row)
        if progress is not None:
            progress(done, len(buildings))
    return OperatFile(year, "\ufeff" + out.getvalue(), buildings, warnings)


def territory_year(scope: TenantScope, conn: Connection, year: int
                   ) -> tuple[list[Building], dict[int, AnnualEnergy]]:
    """The subject buildings this scope sees (commune restriction applied), by site then
    reference, and their consumption of ``year`` (``annual``)."""
    scope.require("read")
    subject = {bid for bid, s in subjects(scope, conn).items() if s["subject"]}
    rows = [r for r in visible_buildings(scope, conn) if r.id in subject]
    meters = measured_days(scope, conn, rows, date(year, 1, 1), date(year, 12, 31))
    years = {r.id: year_of(r, year, meters[r.id]) for r in rows}
    found = [Building(r.id, r.ref, r.name, r.commune_insee, orjson.loads(r.properties))
             for r in rows]
    return sorted(found, key=lambda b: (b.site, b.ref)), years


def operat_file(scope: TenantScope, conn: Connection, year: int,
                progress: Callable[[int, int], None] | None = None) -> OperatFile:
    """The territory's declaration of ``year`` (a year already checked by ``parse_year``)."""
    found, years = territory_year(scope, conn, year)
    return write_file(found, year, {bid: a.energies for bid, a in years.items()},
                      progress=progress)
