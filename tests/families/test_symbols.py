"""The families' mathematics: each family states its rows in its docstring, with a symbol
table, and no symbol means two things across the package."""

from __future__ import annotations

import re
import sys
import unicodedata

import pytest

import budgetopt.families
from budgetopt.families import FAMILIES

INDICES = set("spqymijgk")  # a service, places, a year, a metric, a source, a column, ...
BORDER = re.compile(r"^(=+)(\s+=+)+\s*$")


def tables(doc: str) -> list[tuple[str, str]]:
    """(symbol, meaning) of each row of the RST simple tables in `doc` (a row whose symbol
    cell is blank continues the row above)."""
    rows: list[tuple[str, str]] = []
    lines = doc.splitlines()
    borders = [i for i, line in enumerate(lines) if BORDER.match(line)]
    for top, head, bottom in zip(borders[::3], borders[1::3], borders[2::3]):
        cols = [m.span() for m in re.finditer(r"=+", lines[top])]
        assert lines[top + 1].split()[0] == "symbol", lines[top + 1]
        for line in lines[head + 1: bottom]:
            symbol, meaning = (line[a:b].strip() for a, b in cols[:2])
            if symbol:
                rows.append((symbol, meaning))
    return rows


def head(symbol: str) -> str:
    """A symbol's letter, without its indices, sub- and superscripts and accents: 'S[s,y]',
    'Sᶠ[p,y]' and 'S̃' are all 'S'; 'T_min[m,y]' is 'T', 'N₂₀' is 'N'."""
    letters = re.split(r"[\[_(]", symbol, maxsplit=1)[0]
    return "".join(c for c in letters if unicodedata.category(c) != "Mn"
                   and not unicodedata.decomposition(c).startswith(("<super>", "<sub>")))


MODULES = {f.name: sys.modules[f.add.__module__] for f in FAMILIES if f.add is not None}
DOCS = {"budgetopt.families": budgetopt.families.__doc__,
        **{m.__name__: m.__doc__ for m in MODULES.values()},
        "budgetopt.families.eligibility": sys.modules["budgetopt.families.eligibility"].__doc__}


def test_a_symbol_is_its_letter():
    assert [head(s) for s in ("S[s,y]", "Sᶠ[p,y]", "D̄[y]", "ρ⁺_s", "N₂₀", "T_min[m,y]")] == [
        "S", "S", "D", "ρ", "N", "T"]


def test_the_tables_are_read():
    assert ("S[s,y]", "spend on service s in year y: Σ_p Σ_k x[s,p,y,k]") in tables(
        DOCS["budgetopt.families"])
    assert [s for s, _ in tables(DOCS["budgetopt.families.workforce"])] == ["n[g,s]", "W[g,y]",
                                                                           "κ"]


def test_no_symbol_means_two_things_across_the_package():
    where: dict[str, set[str]] = {}
    for module, doc in DOCS.items():
        for symbol, _ in tables(doc):
            where.setdefault(head(symbol), set()).add(module)
    twice = {h: sorted(m) for h, m in where.items() if len(m) > 1}
    assert not twice, f"symbols defined in more than one table: {twice}"
    assert not INDICES & set(where), "a symbol is also an index letter"


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.components], ids=lambda f: f.name)
def test_each_family_states_each_of_its_rows_in_its_docstring(family):
    doc = sys.modules[family.add.__module__].__doc__
    assert ".. math::" in doc
    for component in family.components:
        assert f"({component})" in doc, component
