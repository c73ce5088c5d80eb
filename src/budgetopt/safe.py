"""Files handled safely: all or nothing, never over an input, no text read as a formula,
nothing read that never ends.

One home for the ideas every writer (the data set writer, the solve's outputs, the analyses'
tables, the batch summary, the workbooks) and every reader of a path a person gives shares:

* **All or nothing.** :func:`atomic_path` (one file or folder) and :func:`write_atomically`
  (several files) write to a fresh hidden name beside each target and rename it into place
  only when everything was written, so a failure never leaves a partial output.
* **Never over an input.** :func:`refuse_overwriting_inputs`: an output path that is one of
  the command's inputs (the data file or folder, a file inside it, the policy model, the
  manifest) is bad input, refused before anything is written.
* **Text is text.** A spreadsheet takes a cell starting with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return for a formula (:data:`FORMULA_STARTS`). In a workbook such text is
  stored as a string cell (:func:`looks_like_formula`, used by the cell writers); in a CSV it
  is prefixed with an apostrophe (:func:`csv_text`, :func:`csv_safe`), which a spreadsheet
  shows as text and never evaluates, and which the data set reader takes off again
  (:func:`csv_untext`), so a data set written as CSV reads back as it was.
* **Only files are read.** :func:`regular_input`: an input path that is a pipe (FIFO), a socket
  or a device is bad input, refused before it is opened (reading a FIFO waits for a writer
  forever). Every reader of a path calls it: data sets, policy models and any YAML file,
  manifests, the scenario store's file.

This module is in the base layer: it imports nothing from the package but its errors.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from budgetopt.errors import InputError, Problem

if TYPE_CHECKING:
    import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting with one of these could be taken for a formula by a spreadsheet."""


# -- no text becomes a formula -------------------------------------------------------------


def looks_like_formula(value: object) -> TypeGuard[str]:
    """True for text a spreadsheet could evaluate (see :data:`FORMULA_STARTS`)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value: object) -> object:
    """`value` for a CSV cell: text that looks like a formula gets a leading apostrophe.

    >>> csv_text("=HYPERLINK(\\"x\\")"), csv_text("Reablement"), csv_text(-1.5)
    ('\\'=HYPERLINK("x")', 'Reablement', -1.5)
    """
    return "'" + value if looks_like_formula(value) else value


def csv_untext(text: str) -> str:
    """The text a :func:`csv_text`-guarded CSV cell stands for: an apostrophe before a
    formula's first character is the guard (a spreadsheet shows it as text and so does
    budgetopt's reader); any other apostrophe is kept.

    >>> csv_untext("'=1+1"), csv_untext("'tis"), csv_untext("O'Neill")
    ('=1+1', "'tis", "O'Neill")
    """
    return text[1:] if text.startswith("'") and looks_like_formula(text[1:]) else text


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells (and column names) are :func:`csv_text`-guarded.

    Numbers are left as they are (a negative number is a number, not a formula).
    """
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(csv_text)
    out.columns = [csv_text(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """`frame` as a UTF-8 CSV at `path`, without its index, formula-guarded.

    Lines end in CRLF (RFC 4180), so a carriage return inside a cell is quoted like a newline
    and can never split a row.
    """
    csv_safe(frame).to_csv(path, index=False, lineterminator="\r\n")


# -- all or nothing ------------------------------------------------------------------------


def temp_sibling(target: Path) -> Path:
    """A fresh hidden name beside `target` (not created). A fresh name rather than
    mkstemp/mkdtemp, so what is written there gets the usual permissions (the umask's)."""
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.part")


def _remove(tmp: Path) -> None:
    if tmp.is_dir() and not tmp.is_symlink():
        shutil.rmtree(tmp, ignore_errors=True)
    elif tmp.exists() or tmp.is_symlink():
        tmp.unlink()


@contextmanager
def atomic_path(target: Path, *, folder: bool) -> Iterator[Path]:
    """A temporary sibling of `target` that becomes `target` only when the block succeeds.

    The parent folder is created when missing. With ``folder=True`` the temporary sibling is
    an empty folder to fill.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(target)
    if folder:
        tmp.mkdir()
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        _remove(tmp)


_UNWRITABLE = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


def write_atomically(writers: Mapping[Path, Callable[[Path], Any]],
                     folders: Iterable[Path] = ()) -> None:
    """Run each writer into a temporary file beside its target, then rename them all into
    place; if any writer fails, nothing is renamed and every temporary file is removed.

    A target in `folders` is a folder its writer makes (``--bcf-dir``): a new one is renamed
    into place whole; into an existing one, each file made is renamed in.

    Raises
    ------
    InputError
        A target's folder does not exist, a target is an existing folder, or the disk is full,
        read-only or not ours to write (nothing is written).
    """
    temps: dict[Path, Path] = {}
    folder_targets = {Path(f) for f in folders}
    try:
        for target, write in writers.items():
            target = Path(target)
            if not target.parent.exists():
                raise InputError.single(str(target), f"the folder {target.parent} does not "
                                        "exist")
            if target.is_dir() and target not in folder_targets:
                raise InputError.single(str(target), "is a folder: give a file name")
            tmp = temp_sibling(target)
            temps[target] = tmp
            try:
                write(tmp)
            except OSError as err:
                if err.errno in _UNWRITABLE:
                    raise InputError.single(str(target), f"cannot be written: {err.strerror} "
                                            "(nothing was written)") from None
                raise
        for target, tmp in temps.items():
            if tmp.is_dir() and target.is_dir():
                for made in sorted(tmp.iterdir()):
                    os.replace(made, target / made.name)
            else:
                os.replace(tmp, target)
    finally:
        for tmp in temps.values():
            _remove(tmp)


# -- only files are read -------------------------------------------------------------------


def regular_input(path: Path, what: str, *, folder: bool = False, where: str | None = None,
                  error: type[InputError] = InputError) -> None:
    """Refuse `path`, an input, unless it is a regular file (or, with ``folder=True``, a
    folder): a pipe, socket or device would block or never finish reading. A missing path is
    left to the reader to name. Symlinks are followed.

    Raises
    ------
    InputError (or `error`)
        At `where` (default: the path), naming `what` the input is and what it is instead.
    """
    try:
        mode = Path(path).stat().st_mode
    except OSError:
        return
    if stat.S_ISREG(mode) or (folder and stat.S_ISDIR(mode)):
        return
    if stat.S_ISDIR(mode):
        why = "is a folder: give a file"
    else:
        kind = ("a pipe (FIFO)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
                else "a device")
        why = (f"is {kind}, not a regular file: budgetopt reads only files (a pipe, socket or "
               "device would never finish reading)")
    raise error.single(where or str(path), f"{what} {why}")


# -- never over an input -------------------------------------------------------------------


def _same_or_inside(output: Path, source: Path) -> bool:
    """`output` is `source`, or lies inside the folder `source` (symlinks followed)."""
    try:
        out, src = output.resolve(), source.resolve()
    except (OSError, RuntimeError):
        return False
    if out == src:
        return True
    try:
        if output.exists() and source.exists() and os.path.samefile(output, source):
            return True
    except OSError:
        pass
    return src.is_dir() and src in out.parents


def refuse_overwriting_inputs(outputs: Mapping[str, Path | None],
                              inputs: Iterable[Path | None]) -> None:
    """Refuse (exit 2, before anything is written) an output that is one of the inputs, or
    lies inside an input folder, or is also given for another output.

    Parameters
    ----------
    outputs : mapping of option name (``"--json"``) to path (None: not asked for)
    inputs : the command's input files and folders (None entries are skipped)

    Raises
    ------
    InputError
        Naming each output and the input it would replace; nothing has been written.
    """
    sources = [Path(p) for p in inputs if p is not None]
    problems = []
    seen: dict[Path, str] = {}
    for option, path in outputs.items():
        if path is None:
            continue
        path = Path(path)
        for source in sources:
            if _same_or_inside(path, source):
                what = "is" if path.resolve() == source.resolve() else "is inside"
                problems.append(Problem(option, f"{path} {what} the input {source}: an output "
                                        "never replaces an input; choose another path "
                                        "(nothing was written)"))
                break
        else:
            key = path.resolve()
            if key in seen:
                problems.append(Problem(option, f"{path} is also given as {seen[key]}: each "
                                        "output needs its own path (nothing was written)"))
            seen.setdefault(key, option)
    if problems:
        raise InputError(problems)


__all__ = ["FORMULA_STARTS", "atomic_path", "csv_safe", "csv_text", "csv_untext",
           "looks_like_formula",
           "refuse_overwriting_inputs", "regular_input", "temp_sibling", "write_atomically",
           "write_csv"]
