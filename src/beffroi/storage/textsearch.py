"""Text matching that ignores case and accents, the same on both backends.

``folded(column)`` is the column's text lowered with its Latin accents removed
(« Église » → « eglise », « ÉCHELLE » → « echelle », the typographic apostrophe → ');
``fold(text)`` does the same to a search term in Python, so that
``folded(column).contains(fold(term), autoescape=True)`` finds « Rue de l'Église »
for « eglise » or « ÉGLISE ». SQLite calls ``fold`` itself (a function registered on
each connection); PostgreSQL runs ``lower(translate(…))`` with the same table, so that
no extension (``unaccent``) has to be installed by the operator.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

SQLITE_FUNCTION = "beffroi_fold"


def _table() -> tuple[str, str]:
    """The characters that fold to one other character: the accented Latin letters of
    Latin-1 and Latin Extended-A (U+00C0–U+017F) with their capitals, and apostrophes."""
    source, target = [], []
    for code in range(0xC0, 0x180):
        char = chr(code)
        bare = "".join(c for c in unicodedata.normalize("NFKD", char)
                       if not unicodedata.combining(c)).lower()
        if len(bare) == 1 and bare != char:
            source.append(char)
            target.append(bare)
    for apostrophe in "\u2019\u02bc":
        source.append(apostrophe)
        target.append("'")
    return "".join(source), "".join(target)


FOLD_FROM, FOLD_TO = _table()
_TRANSLATION = str.maketrans(FOLD_FROM, FOLD_TO)


def fold(text: str | None) -> str | None:
    """``text`` lowered, its Latin accents removed (None stays None: SQL's NULL)."""
    return None if text is None else text.translate(_TRANSLATION).lower()


class folded(FunctionElement):  # noqa: N801 (used like SQLAlchemy's func.*)
    """SQL: the folded text of an expression (see the module's documentation)."""

    type = String()
    inherit_cache = True
    name = "folded"


@compiles(folded, "sqlite")
def _sqlite(element, compiler, **kw) -> str:
    return f"{SQLITE_FUNCTION}({compiler.process(element.clauses, **kw)})"


@compiles(folded)
def _default(element, compiler, **kw) -> str:
    # (the table as literals: the same statement text for every search, one plan cached)
    text = compiler.process(element.clauses, **kw)
    source = compiler.render_literal_value(FOLD_FROM, String())
    target = compiler.render_literal_value(FOLD_TO, String())
    return f"lower(translate({text}, {source}, {target}))"


def register_sqlite(dbapi_conn) -> None:
    """Give one SQLite connection the function ``folded`` compiles to."""
    dbapi_conn.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
