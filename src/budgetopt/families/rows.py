"""The one door for constraint rows: plain-English names, families, units and keys.

Every constraint in a budgetopt model is added through :func:`add_rows`, which

- creates an indexed Pyomo ``Constraint`` whose limit is a mutable ``Param`` (so sweeps change
  limits and re-solve without rebuilding); rows given as a matrix keep their limits in one
  array (:class:`Limits`, indexed and changed the same way, ``m.<component>_limit``),
- takes its documentation from the catalogue (``catalogue.yaml``), so the model and the
  explanations cannot drift apart, and
- records a :class:`RowInfo` per row (family, name, sense, unit, the words of its sentences
  and its keys) in ``model.row_info``, in the order the solver sees the rows.

Bodies are linear expressions built with :func:`linear` (no per-term Python overhead beyond
one monomial per term). An analysis whose rows are too many or too dense for Pyomo expressions
(the robust plan's one row per sampled objective, the Pareto frontier's rows over every spend
column) gives them as a sparse matrix over the model's variables with :func:`add_matrix_rows`:
the same door (catalogue, mutable limits, names, keys), the matrix read directly by the
compiler.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
import pyomo.core as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

from budgetopt.data.safe_yaml import load_shipped_yaml

if TYPE_CHECKING:
    from scipy import sparse

Sense = Literal["<=", ">=", "=="]

K = TypeVar("K", bound=Hashable)
"""A family's row index: a service id, a (service, year) pair, a pin's number, ..."""


@dataclass(frozen=True)
class RowInfo:
    """What one constraint row means."""

    component: str  # Pyomo component name, a catalogue key
    index: Hashable  # Pyomo index of the row
    family: str  # MODEL.md family: money, bounds, workforce, ...
    name: str  # plain English, unique in the model
    sense: Sense
    unit: str  # unit of the limit: "£m", "WTE", "percentage points", ...
    labels: dict[str, Any] = field(default_factory=dict)  # words for sentences: {service}, ...
    relaxable: bool = True  # may the elastic model relax it?
    report: bool = True  # listed among the results' constraints?
    scale: float = 1.0  # limit units per model unit (e.g. 100 for shares in %)
    keys: dict[str, str | None] = field(default_factory=dict)  # coordinates: service_id, ...


KEY_FIELDS = ("service_id", "place_id", "year", "source_id", "group_id", "metric_id",
              "sector_group_id", "hwb_id", "band", "pathway")
"""The coordinates a row may have, as ids (never its English name): results, the workbook,
the comparison and tests find rows by these. ``group_id`` is a workforce group,
``sector_group_id`` a sector-share group (its sectors joined by '+', with '@system' for a share
of the system), ``band`` a curve segment's number (the mixed-integer band order)."""


ANALYSIS_KEYS = ("objective", "sample")
"""Keys of an analysis's own rows (budgetopt.analyses): the aim a Pareto row holds, the sample
a robust-plan row is for. Reported only where such rows are."""

KNOWN_KEYS = frozenset(KEY_FIELDS + ANALYSIS_KEYS)


@cache
def _catalogue_file() -> dict[str, Any]:
    text = resources.files("budgetopt").joinpath("catalogue.yaml").read_text(encoding="utf-8")
    return load_shipped_yaml(text)


def catalogue() -> dict[str, dict[str, str]]:
    """Catalogue entries per constraint component: title, meaning, unit, dual reading."""
    return _catalogue_file()["constraints"]


def family_catalogue() -> dict[str, dict[str, str]]:
    """Catalogue entries per constraint family (policy rule): title and a one-line help."""
    return _catalogue_file()["families"]


def analysis_catalogue() -> dict[str, dict[str, dict[str, str]]]:
    """The analyses' own rows (``constraints``) and families (``families``): the Pareto
    frontier's and the robust plan's, in the same fields."""
    return _catalogue_file()["analyses"]


def entry(component: str) -> dict[str, str] | None:
    """The catalogue entry of a model's or an analysis's constraint component (None: none)."""
    return catalogue().get(component) or analysis_catalogue()["constraints"].get(component)


def linear(terms: Iterable[tuple[float, Any]]) -> LinearExpression:
    """Sum of coefficient × variable pairs as one Pyomo LinearExpression.

    A unit coefficient is the variable itself (no monomial object): most rows are sums of
    spends, and this is the cheapest expression Pyomo builds (PERF-NOTES.md). A variable that
    appears more than once (a place's spend less a share of the total it is part of) appears
    once with its coefficients added, so the row compiles by the fast route.
    """
    pairs = [(c, v) for c, v in terms if c]
    if len({id(v) for _, v in pairs}) != len(pairs):
        merged: dict[int, list] = {}
        for c, v in pairs:
            if (entry := merged.get(id(v))) is None:
                merged[id(v)] = [c, v]
            else:
                entry[0] += c
        pairs = [(c, v) for c, v in merged.values() if c]
    return LinearExpression([v if c == 1.0 else MonomialTermExpression((float(c), v))
                             for c, v in pairs])


def unit_sum(variables: Iterable[Any]) -> LinearExpression:
    """Σ variables (every coefficient 1) as one Pyomo LinearExpression: the cheapest build."""
    return LinearExpression(list(variables))


def add_rows(
    m: pyo.ConcreteModel,
    component: str,
    family: str,
    index: Sequence[K],
    body: Callable[[K], LinearExpression | None],
    sense: Sense,
    limit: Mapping[K, float],
    name: Callable[[K], str],
    labels: Callable[[K], dict[str, Any]] | None = None,
    *,
    keys: Callable[[K], Mapping[str, str | None]] | None = None,
    unit: Callable[[K], str] | None = None,
    relaxable: bool = True,
    report: bool = True,
    scale: float = 1.0,
) -> None:
    """Add one indexed constraint ``body[i] (sense) limit[i]`` for i in `index`.

    A row whose body is ``None`` (nothing to constrain) is skipped. `component` must have a
    catalogue entry. `labels` gives the words its sentences are filled with (names, the year),
    `keys` its coordinates as ids (fields of :data:`KEY_FIELDS`, or :data:`ANALYSIS_KEYS`;
    none for a row that has no coordinates). `unit` gives a row's unit where it depends on the
    row (an analysis holding one of several aims); without it, the catalogue's. Every
    callable is called during this call and none is kept, so a family's loop may use its loop
    variables in them directly.
    """
    entry = _entry(component)
    bodies: dict[K, LinearExpression] = {}
    for i in index:
        if (b := body(i)) is not None and len(b.args) > 0:
            bodies[i] = b
    keep = list(bodies)
    limit_param = _limits(m, component, keep, limit)

    def rule(_m: pyo.ConcreteModel, *i: Any) -> Any:
        key: Any = i[0] if len(i) == 1 else i
        if sense == "<=":
            return bodies[key] <= limit_param[key]
        if sense == ">=":
            return bodies[key] >= limit_param[key]
        return bodies[key] == limit_param[key]

    m.add_component(component, pyo.Constraint(keep, rule=rule, doc=entry["title"]))
    _record(m, component, family, keep, sense, entry, name, labels, keys, unit, relaxable,
            report, scale)


@dataclass(frozen=True)
class Csr:
    """A compressed sparse row matrix for :func:`add_matrix_rows` without scipy (which takes
    longer to import than the example takes to solve): row k's columns are
    ``indices[indptr[k]:indptr[k + 1]]`` with coefficients ``data`` over the same slice."""

    indptr: np.ndarray
    indices: np.ndarray
    data: np.ndarray
    shape: tuple[int, int]

    @classmethod
    def of_rows(cls, rows: Sequence[np.ndarray], n_cols: int) -> Csr:
        """Unit coefficients: row k sums the columns ``rows[k]``."""
        counts = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        indices = (np.concatenate(rows).astype(np.int64) if len(rows)
                   else np.zeros(0, np.int64))
        return cls(np.r_[0, np.cumsum(counts)], indices, np.ones(len(indices)),
                   (len(rows), n_cols))

    @classmethod
    def signed_rows(cls, plus: Sequence[np.ndarray], minus: Sequence[np.ndarray],
                    n_cols: int) -> Csr:
        """Row k: the columns ``plus[k]`` (coefficient 1), then ``minus[k]`` (−1); a column
        must not be in both."""
        counts = np.fromiter((len(p) + len(q) for p, q in zip(plus, minus)), dtype=np.int64,
                             count=len(plus))
        parts = [a for p, q in zip(plus, minus) for a in (p, q)]
        signs = [a for p, q in zip(plus, minus)
                 for a in (np.ones(len(p)), np.full(len(q), -1.0))]
        return cls(np.r_[0, np.cumsum(counts)],
                   np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, np.int64),
                   np.concatenate(signs) if signs else np.zeros(0), (len(plus), n_cols))

    def tocsr(self) -> Csr:
        return self

    def __getitem__(self, rows: np.ndarray) -> Csr:
        """The rows numbered `rows`, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        n = np.diff(self.indptr)[rows]
        first = np.r_[0, np.cumsum(n)]
        take = np.repeat(self.indptr[rows] - first[:-1], n) + np.arange(first[-1])
        return Csr(first, self.indices[take], self.data[take], (len(rows), self.shape[1]))


@dataclass(frozen=True)
class RowMatrix:
    """Rows given as a sparse matrix (see :func:`add_matrix_rows`)."""

    columns: Sequence[Any]  # Pyomo VarData per matrix column
    matrix: sparse.csr_matrix | Csr  # one row per kept index, in order
    position: dict[Any, int]  # row index -> matrix row
    twin: str | None = None  # a component whose row of the same index has the same body


def add_matrix_rows(
    m: pyo.ConcreteModel,
    component: str,
    family: str,
    index: Sequence[K],
    columns: Sequence[Any],
    matrix: sparse.spmatrix | Csr,
    sense: Sense,
    limit: Mapping[K, float],
    name: Callable[[K], str],
    labels: Callable[[K], dict[str, Any]] | None = None,
    *,
    keys: Callable[[K], Mapping[str, str | None]] | None = None,
    unit: Callable[[K], str] | None = None,
    relaxable: bool = True,
    report: bool = True,
    scale: float = 1.0,
    twin: str | None = None,
) -> None:
    """Add rows ``matrix[k] · columns (sense) limit[index[k]]``, one per item of `index`.

    The same door as :func:`add_rows` (a catalogue entry, a mutable limit, a name, labels and
    keys per row) for rows too many and too dense to build as Pyomo expressions: S sampled
    objectives over every spend variable are S × n terms, and building them in Pyomo costs more
    than the analysis. The matrix is kept in ``m.row_matrices[component]`` (a
    :class:`RowMatrix`) and read directly by the compiler; Pyomo's own writers do not see these
    rows. A row with no non-zero is skipped.

    `twin` names a component added before, of the opposite sense, whose row of the same index
    has the same body (a service's maximum beside its minimum): the compiler gives HiGHS the
    two as one ranged row (``min ≤ body ≤ max``), while the model, the results and every
    caller still see two rows, each with its own limit and its own shadow price (the ranged
    row's dual belongs to the side that is active; :class:`budgetopt.solve.highs.Compiled`).
    """
    entry = _entry(component)
    csr = matrix.tocsr()
    if csr.shape != (len(index), len(columns)):
        raise ValueError(f"{component}: a {csr.shape} matrix for {len(index)} rows over "
                         f"{len(columns)} columns")
    counts = np.diff(csr.indptr)
    keep = [i for i, n in zip(index, counts.tolist()) if n]
    if len(keep) < len(index):
        csr = csr[np.flatnonzero(counts)]
    setattr(m, f"{component}_limit", Limits(keep, (limit[i] for i in keep),
                                            f"limit of {component}"))
    if not hasattr(m, "row_matrices"):
        m.row_matrices = {}
    m.row_matrices[component] = RowMatrix(tuple(columns), csr,
                                          {i: k for k, i in enumerate(keep)}, twin)
    _record(m, component, family, keep, sense, entry, name, labels, keys, unit, relaxable,
            report, scale)


class LimitData:
    """One row's limit in a :class:`Limits` array, read and written as a mutable Param's
    (``.value``; ``pyomo.value`` of it)."""

    __slots__ = ("_pos", "_store")

    def __init__(self, store: Limits, pos: int) -> None:
        self._store, self._pos = store, pos

    @property
    def value(self) -> float:
        return float(self._store.values[self._pos])

    @value.setter
    def value(self, v: float) -> None:
        self._store.values[self._pos] = float(v)

    def is_numeric_type(self) -> bool:  # so that pyomo.value() reads it
        return True

    def __call__(self, exception: bool = True) -> float:
        return self.value

    def __float__(self) -> float:
        return self.value


class Limits:
    """The limits of a component's matrix rows (:func:`add_matrix_rows`) in one numpy array,
    indexed like the mutable ``Param`` of :func:`add_rows` (``limits[i].value``,
    ``limits[i] = v``, ``limits.items()``): at national size a ``Param`` of 40,000 rows cost a
    sixth of the model's build, and no Pyomo expression refers to these limits."""

    def __init__(self, index: list, values: Iterable[float], doc: str = "") -> None:
        self.position = {i: k for k, i in enumerate(index)}
        self.values = np.fromiter(values, dtype=float, count=len(index))
        self.doc = doc

    def __getitem__(self, i: Hashable) -> LimitData:
        return LimitData(self, self.position[i])

    def __setitem__(self, i: Hashable, v: float) -> None:
        self.values[self.position[i]] = float(v)

    def __contains__(self, i: object) -> bool:
        return i in self.position

    def __len__(self) -> int:
        return len(self.position)

    def __iter__(self):
        return iter(self.position)

    def keys(self):
        return self.position.keys()

    def items(self):
        return ((i, LimitData(self, k)) for i, k in self.position.items())

    def values_of(self, index: Sequence) -> np.ndarray:
        """The limits of rows `index`, as an array."""
        return self.values[np.fromiter((self.position[i] for i in index), dtype=np.int64,
                                       count=len(index))]


def _entry(component: str) -> dict[str, str]:
    found = entry(component)
    if found is None:
        raise KeyError(f"constraint component {component!r} has no catalogue entry")
    return found


def _limits(m: pyo.ConcreteModel, component: str, keep: list[K],
            limit: Mapping[K, float]) -> pyo.Param:
    param = pyo.Param(keep, mutable=True, initialize={i: float(limit[i]) for i in keep},
                      doc=f"limit of {component}")
    m.add_component(f"{component}_limit", param)
    return param


def _record(m: pyo.ConcreteModel, component: str, family: str, keep: list[K],
            sense: Sense, entry: dict[str, str], name: Callable[[K], str],
            labels: Callable[[K], dict[str, Any]] | None,
            keys: Callable[[K], Mapping[str, str | None]] | None,
            unit: Callable[[K], str] | None, relaxable: bool, report: bool,
            scale: float) -> None:
    """A RowInfo per kept row, in order, in ``m.row_info``."""
    default_unit = entry.get("unit", "")
    for i in keep:
        words = labels(i) if labels else {}
        coords = dict(keys(i)) if keys else {}
        if not coords.keys() <= KNOWN_KEYS:
            raise KeyError(f"{component}: keys {sorted(coords.keys() - KNOWN_KEYS)} are not "
                           f"among {KEY_FIELDS + ANALYSIS_KEYS}")
        m.row_info.append(RowInfo(component, i, family, name(i), sense,
                                  unit(i) if unit else default_unit, words, relaxable, report,
                                  scale, coords))
