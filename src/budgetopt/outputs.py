"""Write a solve's outputs all-or-nothing.

Every file is written to a temporary name beside its target and renamed into place only when
all of them were written, so a failure never leaves a partial output behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from budgetopt.errors import InputError
from budgetopt.results import Results


def _temp_beside(path: Path) -> Path:
    if not path.parent.exists():
        raise InputError.single(str(path), f"the folder {path.parent} does not exist")
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    return Path(name)


def write_atomically(writers: dict[Path, Callable[[Path], None]]) -> None:
    """Run each writer into a temporary file, then rename them all into place."""
    temps: dict[Path, Path] = {}
    try:
        for target, write in writers.items():
            tmp = _temp_beside(target)
            temps[target] = tmp
            write(tmp)
        for target, tmp in temps.items():
            os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            if tmp.exists():
                tmp.unlink()


def write_outputs(results: Results, json_path: Path | None = None,
                  excel_path: Path | None = None) -> None:
    """Write the JSON result and/or the workbook for `results`."""
    writers: dict[Path, Callable[[Path], None]] = {}
    if json_path is not None:
        writers[Path(json_path)] = lambda p: p.write_text(results.to_json(), encoding="utf-8")
    if excel_path is not None:
        from budgetopt.export import write_workbook

        writers[Path(excel_path)] = lambda p: write_workbook(results, p)
    write_atomically(writers)
