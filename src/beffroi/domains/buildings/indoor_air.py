"""Indoor air of schools: CO2 classes of the regulation and the CSTB's ICONE confinement
index, from the readings of a room's CO2 sensor while the building is occupied.

Plain functions on plain values: ``air_data`` reads the readings and the occupancy, the
routes, the CLI and the ventilation report call these.

What the regulation says (checked, sources below)
-------------------------------------------------
Arrêté of 27 December 2022 (JORF n°0301 of 29 December 2022, NOR SPRP2231357A, modifying
the arrêté of 1 June 2016 on the ventilation evaluation report; in force 1 January 2023),
article 4, quoted in its own words on Légifrance (JORFTEXT000046830005, article
JORFARTI000046830009) and by the stored copies of juriblio.fr and aida.ineris.fr:

- « une concentration inférieure à 800 ppm de CO2 traduit un renouvellement de l'air
  satisfaisant dans des locaux occupés. Le dépassement de cette valeur implique des actions
  permettant de revenir à une qualité de renouvellement de l'air satisfaisante » ;
- « une concentration supérieure à 1 500 ppm de CO2 témoigne d'un renouvellement de l'air
  insuffisant » and calls for actions « dans les plus brefs délais ».

Article 1 of the same arrêté: NDIR device, range 0 to 5,000 ppm, uncertainty ±(50 ppm + 5 %
of the reading). So the classes are: « satisfaisant » up to 800 ppm (800 itself does not
exceed it), « action corrective » above 800 up to 1,500, « agir au plus vite » above
1,500. Both thresholds are tenant settings (``buildings.co2_action_ppm``,
``buildings.co2_urgent_ppm``, defaults 800 and 1,500, marked verified).

Which value of a period is classed (our choice, the arrêté is written for a direct-reading
measurement, one value read by a person): a connected sensor gives a reading every few
minutes, so a room's class over a period is the class of its highest occupied-time
reading, and the shares of readings in each class are given beside it (a single peak is
then visible as such).

ICONE (CSTB, what we could and could not check)
-----------------------------------------------
The index was proposed by the CSTB in 2007 for classrooms (Ribéron et al.; « Indice de
confinement de l'air intérieur : des écoles aux logements », Pollution atmosphérique
n°228, 2016: « sur une échelle de 0 à 5 … prend en compte à la fois les fréquences de
situation de confinement, mais également leur intensité »). Its current protocol is
« Protocole de mesure en continu du dioxyde de carbone dans l'air (indice de confinement
ICONE) dans les établissements d'enseignement, d'accueil de la petite enfance et d'accueil
de loisirs », O. Ramalho and M. J. Rueda Lopez, CSTB, March 2023, reference
SC-QEI-2022-230 (title page and contents seen on fr.readkong.com), completed by the CSTB's
« Guide d'application pour la surveillance du confinement de l'air » (June 2023, cited by
the Cerema's FAQ of 7 June 2023). The stored copies we could reach hold only the first
pages of these documents: the formula and its worked examples were not in them.

    ICONE = (2.5 / log10 2) × log10(1 + f1 + 3·f2)  =  2.5 × log2(1 + f1 + 3·f2)

with f1 the share of occupied-time readings between 1,000 and 1,700 ppm and f2 the share
above 1,700 ppm, is the formula of DOMAIN-FACTS. Checked (search tool, December 2026):

- the 10-minute step of the readings: arrêté of 1 June 2016, article 11 IV (« 1 point
  toutes les dix minutes … un pas de temps de dix minutes »; then « Les résultats de
  mesure du dioxyde de carbone sont exploités pour calculer un indice de confinement
  selon la méthode décrite ci-après » — the stored copy stops there), as décret
  2012-14, article 8 I;
- the classes, the formula and the rounding, in a teaching note that restates that
  method (a public GitHub markdown note by T. Vaira): « nombre de valeurs inférieures ou
  égales à 1000 ppm (n0) », « comprises entre 1000 et 1700 ppm inclus (n1) »,
  « supérieures à 1700 ppm (n2) »; ``ICONE = (2.5 / log(2)) x log(1 + f1 + 3xf2)``; the
  value kept is 0 below 0.5, 1 from 0.5 to below 1.5 … 5 from 4.5 (a half rounds up);
  levels « nul, faible, moyen, élevé, très élevé, extrême ». The same formula is
  implemented by independent public projects (the EcoClassroom classroom monitor,
  ``Mesures::calculerIndiceBrute``; others differ on the band edges or round the constant
  to 8.3 — not followed).

So: c ≤ 1,000 ppm counts in neither band, 1,000 < c ≤ 1,700 in f1, c > 1,700 in f2; the
only exact half is f1 + 3·f2 = 1 (2.5 exactly, kept as 3); every other value of the
formula is irrational, never a tie. Bounds: 0 when no reading exceeds 1,000 ppm, 2.5 when
all are in the middle band, 5 when all are above 1,700 ppm.

**Not checked: the CSTB protocol's worked examples.** Only the title page and contents of
the protocol are in the stored copies; the tests check the formula against values
computed by hand from it, not against the protocol's examples.

Occupied-time readings: the index uses only readings taken while the room is occupied
(the protocol's « périodes d'occupation »); we take the building's occupancy (opening
hours, school holidays of its zone, public holidays: ``occupancy.occupied_mask``). Each
reading counts once, as in the protocol's counts of 10-minute values: a sensor reporting
irregularly weighs its readings, not durations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ICONE_LOW_PPM = 1_000  # f1: 1,000 < c ≤ 1,700 ppm
ICONE_HIGH_PPM = 1_700  # f2: c > 1,700 ppm
ICONE_LABELS = ("nul", "faible", "moyen", "élevé", "très élevé", "extrême")

DEFAULT_ACTION_PPM = 800.0
DEFAULT_URGENT_PPM = 1_500.0
CLASSES = ("satisfaisant", "action", "urgent")
CLASS_LABELS = {"satisfaisant": "renouvellement de l'air satisfaisant",
                "action": "actions correctives à mener",
                "urgent": "renouvellement insuffisant : agir au plus vite"}


@dataclass(frozen=True)
class Icone:
    """ICONE of a set of occupied-time readings."""

    readings: int  # n, the readings used
    n1: int  # readings above 1,000 up to 1,700 ppm
    n2: int  # readings above 1,700 ppm
    raw: float  # the formula before rounding

    @property
    def f1(self) -> float:
        return self.n1 / self.readings

    @property
    def f2(self) -> float:
        return self.n2 / self.readings

    @property
    def index(self) -> int:
        return math.floor(self.raw + 0.5)

    @property
    def label(self) -> str:
        return ICONE_LABELS[self.index]

    def public(self) -> dict[str, object]:
        return {"icone": self.index, "f1": round(self.f1, 4), "f2": round(self.f2, 4),
                "readings": self.readings}


def icone(values: Iterable[float]) -> Icone | None:
    """ICONE of occupied-time CO2 readings (ppm); None without any reading."""
    n = n1 = n2 = 0
    for value in values:
        n += 1
        if value > ICONE_HIGH_PPM:
            n2 += 1
        elif value > ICONE_LOW_PPM:
            n1 += 1
    if n == 0:
        return None
    # (2.5 / log10 2) × log10(x) is 2.5 × log2(x); x from integers so that the only tie,
    # x = 2, is exact (2n / n) and gives exactly 2.5.
    return Icone(n, n1, n2, 2.5 * math.log2((n + n1 + 3 * n2) / n))


@dataclass(frozen=True)
class Thresholds:
    """The two CO2 thresholds of the arrêté (tenant settings)."""

    action_ppm: float = DEFAULT_ACTION_PPM
    urgent_ppm: float = DEFAULT_URGENT_PPM

    def check(self) -> list[dict[str, str]]:
        if self.action_ppm >= self.urgent_ppm:
            return [{"field": "buildings.co2_urgent_ppm",
                     "message": f"le seuil « agir au plus vite » ({self.urgent_ppm:g} ppm) "
                                f"doit dépasser le seuil d'action ({self.action_ppm:g} ppm)"}]
        return []


def co2_class(value: float, thresholds: Thresholds) -> str:
    """« satisfaisant » up to the action threshold, « action » above it up to the urgent
    one, « urgent » above."""
    if value > thresholds.urgent_ppm:
        return "urgent"
    if value > thresholds.action_ppm:
        return "action"
    return "satisfaisant"


def room_air(values: Sequence[float], thresholds: Thresholds) -> dict[str, object]:
    """What a room's occupied-time readings of a period say: ICONE, the class of the
    highest reading, the share of readings in each class, the mean and the maximum."""
    index = icone(values)
    if index is None:
        return {"readings": 0, "icone": None, "icone_label": None, "f1": None, "f2": None,
                "co2_class": None, "co2_class_label": None, "max_ppm": None,
                "mean_ppm": None, "shares": None}
    counts = dict.fromkeys(CLASSES, 0)
    for value in values:
        counts[co2_class(value, thresholds)] += 1
    worst = co2_class(max(values), thresholds)
    return {**index.public(), "icone_label": index.label, "co2_class": worst,
            "co2_class_label": CLASS_LABELS[worst], "max_ppm": round(max(values), 1),
            "mean_ppm": round(sum(values) / len(values), 1),
            "shares": {k: round(v / len(values), 4) for k, v in counts.items()}}
