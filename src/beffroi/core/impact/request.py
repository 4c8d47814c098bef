"""What an impact report is asked for: a period of whole local days and a set of communes,
checked the same way for the API and the command line, with French errors by field."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import Connection, select

from ...storage import schema
from ..access import TenantScope
from ..clock import EARLIEST_DAY, local_day, now_ms
from ..errors import Invalid
from ..french_format import local_date

# Five years at most: 5 × 365 days and the two 29 Februaries five years can hold.
MAX_DAYS = 5 * 365 + 2


def local_today(scope: TenantScope) -> date:
    """Today in the territory's time zone (a report ends the day before at the latest)."""
    return local_day(now_ms(), scope.zone)


def _day(text: str | None, field: str, what: str, errors: list[dict[str, str]]) -> date | None:
    if text is None or not str(text).strip():
        errors.append({"field": field, "message": f"date {what} obligatoire (AAAA-MM-JJ)"})
        return None
    try:
        if len(str(text).strip()) != 10:
            raise ValueError
        return date.fromisoformat(str(text).strip())
    except ValueError:
        errors.append({"field": field, "message": f"date {what} « {str(text)[:20]} » "
                                                  "illisible : AAAA-MM-JJ attendu"})
        return None


def period_errors(start: date, end: date) -> list[dict[str, str]]:
    """What is wrong with a period, each fault on its field: a day before ``EARLIEST_DAY``
    (a year mistyped: on that field, not on the length of the period it makes), the end
    before the start, more than five years."""
    early = [{"field": field, "message": f"date {what} du {local_date(day)} impossible : le "
                                         f"{local_date(EARLIEST_DAY)} au plus tôt (année mal "
                                         "saisie ?)"}
             for field, what, day in (("from", "de début", start), ("to", "de fin", end))
             if day < EARLIEST_DAY]
    if early:
        return early
    if start > end:
        return [{"field": "to", "message": "la fin doit être le jour du début ou le suivre"}]
    days = (end - start).days + 1
    if days > MAX_DAYS:
        return [{"field": "to", "message": f"période de {days} jours : 5 ans au plus "
                                           f"({MAX_DAYS} jours)"}]
    return []


def parse_period(first: str | None, last: str | None, today: date) -> tuple[date, date]:
    """``from`` and ``to`` (AAAA-MM-JJ, both included): a period of at most five years that
    ends before ``today`` (the territory's local date: a day not over has no figures)."""
    errors: list[dict[str, str]] = []
    start = _day(first, "from", "de début", errors)
    end = _day(last, "to", "de fin", errors)
    if start is not None and end is not None:
        errors += period_errors(start, end)
        if not errors and end >= today:
            yesterday = today - timedelta(days=1)
            errors.append({"field": "to", "message": "jour achevé attendu : au plus tard "
                                                     f"le {yesterday.strftime('%d/%m/%Y')}"})
    if errors:
        raise Invalid("Période du rapport d'impact invalide.", errors=errors)
    return start, end  # type: ignore[return-value]


def report_communes(scope: TenantScope, conn: Connection, codes: Iterable[str] | None
                    ) -> list[tuple[str, str]] | None:
    """(INSEE, name) of the communes the report covers, by INSEE code: those asked for, each
    known in the territory and within the caller's communes; without any, the caller's
    communes when they are restricted to some (None: the whole territory)."""
    c = schema.communes
    visible = dict(conn.execute(select(c.c.insee, c.c.name).where(scope.commune_visible())).all())
    asked = sorted({str(code).strip() for code in codes or () if str(code).strip()})
    if not asked:
        if scope.communes is None:
            return None
        return [(insee, visible[insee]) for insee in sorted(scope.communes) if insee in visible]
    unknown = [code for code in asked if code not in visible]
    if unknown:
        raise Invalid("Commune inconnue ou hors de votre périmètre : " + ", ".join(
            f"« {code[:10]} »" for code in unknown) + ".", errors=[
            {"field": "commune", "message": f"code INSEE « {code[:10]} » inconnu dans votre "
                                            "périmètre"} for code in unknown])
    return [(insee, visible[insee]) for insee in asked]
