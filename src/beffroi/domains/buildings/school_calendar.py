"""School holidays of metropolitan France per zone A, B and C, as data.

Source: the official school calendar of the Ministère de l'Éducation nationale (arrêtés
fixing the calendar of each school year; open data « Calendrier scolaire », dataset
``fr-en-calendrier-scolaire`` on data.education.gouv.fr, also published at
https://www.education.gouv.fr/calendrier-scolaire-100148). Zones since 2016: A =
Besançon, Bordeaux, Clermont-Ferrand, Dijon, Grenoble, Limoges, Lyon, Poitiers; B =
Aix-Marseille, Amiens, Caen, Lille, Nancy-Metz (the Vosges), Nantes, Nice, Orléans-Tours,
Reims, Rennes, Rouen, Strasbourg; C = Créteil, Montpellier, Paris, Toulouse, Versailles.

Convention of this table (that of the dataset: « le départ en vacances a lieu après la
classe des jours indiqués, la reprise des cours s'effectue le matin des jours
indiqués »): ``start`` is the Saturday classes end (the first day the building is no
longer used for lessons), ``end`` is the morning classes resume (a Monday, or the Tuesday
after Easter Monday), **exclusive**: the holiday is every local day from ``start`` to the
day before ``end``. The « pont de l'Ascension » (no classes on the Friday after Ascension
Thursday) is a holiday of the calendar too, listed from that Thursday.

Checked with the search tool (pages corpus) against published copies of the official
calendar (press and school or commune sites quoting the arrêté; the ministry's own page
was not in the corpus):
- 2022-2023: zone B all periods (Toussaint 22 Oct–7 Nov 2022, Christmas 17 Dec 2022–
  Tuesday 3 Jan 2023, winter 11–27 Feb, spring 15 Apr–Tuesday 2 May 2023, pont de
  l'Ascension 17 May evening–22 May, summer from 8 Jul 2023: ac-versailles school page,
  veretz.com, mairieplouharnel.fr); zone A winter 4–19 Feb and spring 8–23 Apr 2023
  (francetvinfo.fr, last day of holidays given); rentrée 4 Sep 2023 (rtl.fr);
  **zone C winter and spring not verified**;
- 2023-2024: all periods (20minutes.fr, rtl.fr, econostrum.info: Toussaint 21 Oct–6 Nov
  2023, Christmas 23 Dec–8 Jan 2024, winter A 17 Feb–4 Mar, B 24 Feb–11 Mar, C 10–26 Feb,
  spring A 13–29 Apr, B 20 Apr–6 May, C 6–22 Apr 2024, summer from 6 Jul 2024; pont de
  l'Ascension 8 May evening–13 May 2024: brumath-mag.com); rentrée 2 Sep 2024 not found;
- 2024-2025: all periods (mer-evasion.fr, boursorama.com, econostrum.info: winter A 22 Feb–
  10 Mar, B 8–24 Feb, C 15 Feb–3 Mar 2025; spring A 19 Apr–5 May, B 5–Tuesday 22 Apr
  (after Easter Monday), C 12–28 Apr 2025; Toussaint 19 Oct–4 Nov 2024); pont de
  l'Ascension 2025 and summer 5 Jul 2025 not found; rentrée 1 Sep 2025 verified
  (digischool.fr, boursorama.com);
- 2025-2026: all periods (boursorama.com, professeurs-des-ecoles.com, macommune.info, a
  zone B school page: Toussaint 18 Oct–3 Nov 2025, Christmas 20 Dec 2025–5 Jan 2026,
  winter A 7–23 Feb, B 14 Feb–2 Mar, C 21 Feb–9 Mar 2026, spring A 4–20 Apr, B 11–27 Apr,
  C 18 Apr–4 May 2026, pont de l'Ascension 13 May evening–18 May 2026, summer from
  4 Jul 2026);
- 2026-2027 (checked December 2026): Toussaint 17 Oct–1 Nov 2026, Christmas 19 Dec 2026–
  3 Jan 2027, winter A 13–28 Feb, B 20 Feb–7 Mar, C 6–21 Feb 2027, spring A 10–25 Apr,
  B 17 Apr–2 May, C 3–18 Apr 2027, summer from 3 Jul 2027 (last days of the holidays; the
  table holds the day classes resume): the README of the public project
  ``jlrigau/grande-section``, which takes them from the official dataset
  ``fr-en-calendrier-scolaire`` of data.education.gouv.fr, and three other public
  projects that agree (several others swap zones B and C — not followed). The arrêté
  itself was not found; nor the pont de l'Ascension 2027 (6 May evening–10 May, from the
  date of Ascension, as in earlier years) nor the rentrée of September 2027 (the ``end``
  of the summer 2027): « à vérifier » against data.education.gouv.fr.

Outside ``COVERAGE`` the table knows nothing: a date outside it is never a school holiday
(``occupancy`` says so). Add the next school year here when its arrêté is published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

ZONES = ("A", "B", "C")


@dataclass(frozen=True)
class SchoolHoliday:
    name: str
    zones: tuple[str, ...]
    start: date  # first day without classes (the Saturday classes end)
    end: date  # the morning classes resume (exclusive)
    school_year: str


def _rows() -> tuple[SchoolHoliday, ...]:
    abc = ZONES
    table = (
        # school year, name, zones, start, end
        ("2022-2023", "Vacances de la Toussaint", abc, "2022-10-22", "2022-11-07"),
        ("2022-2023", "Vacances de Noël", abc, "2022-12-17", "2023-01-03"),
        ("2022-2023", "Vacances d'hiver", ("A",), "2023-02-04", "2023-02-20"),
        ("2022-2023", "Vacances d'hiver", ("B",), "2023-02-11", "2023-02-27"),
        ("2022-2023", "Vacances d'hiver", ("C",), "2023-02-18", "2023-03-06"),
        ("2022-2023", "Vacances de printemps", ("A",), "2023-04-08", "2023-04-24"),
        ("2022-2023", "Vacances de printemps", ("B",), "2023-04-15", "2023-05-02"),
        ("2022-2023", "Vacances de printemps", ("C",), "2023-04-22", "2023-05-09"),
        ("2022-2023", "Pont de l'Ascension", abc, "2023-05-18", "2023-05-22"),
        ("2022-2023", "Vacances d'été", abc, "2023-07-08", "2023-09-04"),
        ("2023-2024", "Vacances de la Toussaint", abc, "2023-10-21", "2023-11-06"),
        ("2023-2024", "Vacances de Noël", abc, "2023-12-23", "2024-01-08"),
        ("2023-2024", "Vacances d'hiver", ("A",), "2024-02-17", "2024-03-04"),
        ("2023-2024", "Vacances d'hiver", ("B",), "2024-02-24", "2024-03-11"),
        ("2023-2024", "Vacances d'hiver", ("C",), "2024-02-10", "2024-02-26"),
        ("2023-2024", "Vacances de printemps", ("A",), "2024-04-13", "2024-04-29"),
        ("2023-2024", "Vacances de printemps", ("B",), "2024-04-20", "2024-05-06"),
        ("2023-2024", "Vacances de printemps", ("C",), "2024-04-06", "2024-04-22"),
        ("2023-2024", "Pont de l'Ascension", abc, "2024-05-09", "2024-05-13"),
        ("2023-2024", "Vacances d'été", abc, "2024-07-06", "2024-09-02"),
        ("2024-2025", "Vacances de la Toussaint", abc, "2024-10-19", "2024-11-04"),
        ("2024-2025", "Vacances de Noël", abc, "2024-12-21", "2025-01-06"),
        ("2024-2025", "Vacances d'hiver", ("A",), "2025-02-22", "2025-03-10"),
        ("2024-2025", "Vacances d'hiver", ("B",), "2025-02-08", "2025-02-24"),
        ("2024-2025", "Vacances d'hiver", ("C",), "2025-02-15", "2025-03-03"),
        ("2024-2025", "Vacances de printemps", ("A",), "2025-04-19", "2025-05-05"),
        ("2024-2025", "Vacances de printemps", ("B",), "2025-04-05", "2025-04-22"),
        ("2024-2025", "Vacances de printemps", ("C",), "2025-04-12", "2025-04-28"),
        ("2024-2025", "Pont de l'Ascension", abc, "2025-05-29", "2025-06-02"),
        ("2024-2025", "Vacances d'été", abc, "2025-07-05", "2025-09-01"),
        ("2025-2026", "Vacances de la Toussaint", abc, "2025-10-18", "2025-11-03"),
        ("2025-2026", "Vacances de Noël", abc, "2025-12-20", "2026-01-05"),
        ("2025-2026", "Vacances d'hiver", ("A",), "2026-02-07", "2026-02-23"),
        ("2025-2026", "Vacances d'hiver", ("B",), "2026-02-14", "2026-03-02"),
        ("2025-2026", "Vacances d'hiver", ("C",), "2026-02-21", "2026-03-09"),
        ("2025-2026", "Vacances de printemps", ("A",), "2026-04-04", "2026-04-20"),
        ("2025-2026", "Vacances de printemps", ("B",), "2026-04-11", "2026-04-27"),
        ("2025-2026", "Vacances de printemps", ("C",), "2026-04-18", "2026-05-04"),
        ("2025-2026", "Pont de l'Ascension", abc, "2026-05-14", "2026-05-18"),
        ("2025-2026", "Vacances d'été", abc, "2026-07-04", "2026-09-01"),
        ("2026-2027", "Vacances de la Toussaint", abc, "2026-10-17", "2026-11-02"),
        ("2026-2027", "Vacances de Noël", abc, "2026-12-19", "2027-01-04"),
        ("2026-2027", "Vacances d'hiver", ("A",), "2027-02-13", "2027-03-01"),
        ("2026-2027", "Vacances d'hiver", ("B",), "2027-02-20", "2027-03-08"),
        ("2026-2027", "Vacances d'hiver", ("C",), "2027-02-06", "2027-02-22"),
        ("2026-2027", "Vacances de printemps", ("A",), "2027-04-10", "2027-04-26"),
        ("2026-2027", "Vacances de printemps", ("B",), "2027-04-17", "2027-05-03"),
        ("2026-2027", "Vacances de printemps", ("C",), "2027-04-03", "2027-04-19"),
        ("2026-2027", "Pont de l'Ascension", abc, "2027-05-06", "2027-05-10"),
        ("2026-2027", "Vacances d'été", abc, "2027-07-03", "2027-09-01"),
    )
    return tuple(SchoolHoliday(name, zones, date.fromisoformat(start), date.fromisoformat(end),
                               year)
                 for year, name, zones, start, end in table)


SCHOOL_HOLIDAYS = _rows()

# First and last day the table describes (school years 2022-2023 to 2026-2027).
COVERAGE = (date(2022, 9, 1), date(2027, 8, 31))


def school_holidays(zone: str) -> tuple[SchoolHoliday, ...]:
    """The holidays of a zone ("A", "B" or "C"), in date order."""
    if zone not in ZONES:
        raise ValueError(f"zone de vacances scolaires inconnue « {zone} » (A, B ou C)")
    return tuple(h for h in SCHOOL_HOLIDAYS if zone in h.zones)
