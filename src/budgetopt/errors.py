"""Errors that reach users.

Every problem with an input names where it is, as a person would look for it: the file or
sheet, the spreadsheet row (1-based, header counted as row 1), the column, the bad value and
what was expected. Validation collects all problems and raises one :class:`InputError` that
lists them; the CLI prints it and exits 2, the app shows it as a list.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    where: str  # file or sheet, e.g. "services.csv" or "example.xlsx › services"
    message: str  # what is wrong and what is expected
    row: int | None = None  # spreadsheet row number (header = 1), None for a whole table
    column: str | None = None
    value: object = None

    def __str__(self) -> str:
        loc = [self.where]
        if self.row is not None:
            loc.append(f"row {self.row}")
        if self.column is not None:
            loc.append(f"column '{self.column}'")
        text = ", ".join(loc) + ": "
        if self.value is not None and str(self.value) != "":
            text += f"{self.value!r}: "
        return text + self.message


MAX_SHOWN = 50
"""Problems listed in an error's text; the rest are counted (all stay in ``problems``)."""


@dataclass
class InputError(Exception):
    """Bad input: one or more :class:`Problem` found before any model was built."""

    problems: list[Problem] = field(default_factory=list)
    title: str = "The input has problems"

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        n = len(self.problems)
        head = f"{self.title} ({n:,} problem{'s' if n != 1 else ''}):"
        lines = [head, *(f"  - {p}" for p in self.problems[:MAX_SHOWN])]
        if n > MAX_SHOWN:
            lines.append(f"  … and {n - MAX_SHOWN:,} more (the first {MAX_SHOWN} are shown: "
                         "fix these and run again)")
        return "\n".join(lines)

    @classmethod
    def single(cls, where: str, message: str, *, row: int | None = None,
               column: str | None = None, value: object = None) -> InputError:
        return cls([Problem(where, message, row, column, value)])


class PolicyError(InputError):
    """A policy model (YAML) or an override is wrong."""


class BudgetoptError(Exception):
    """A failure that is not bad input (solver missing, internal inconsistency)."""
