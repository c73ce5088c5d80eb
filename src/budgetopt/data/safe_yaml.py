"""One YAML loader for every file a person gives budgetopt (policy models, batch manifests, the
app's YAML editor): safe tags only, no duplicate keys, and a bounded size once aliases are
expanded.

PyYAML's ``safe_load`` builds an alias once and shares it, so nested aliases ("billion laughs":
nine aliases of nine aliases of …) cost nothing to load but explode in whatever walks the result
(a deep copy, a validator, a grid expansion): 1.3 KB became 3 GB. Here the document's size is
counted with every alias expanded, on the composed nodes (each distinct node counted once per
path, by memo), and a document over :data:`MAX_NODES` is refused before anything is built.
A key given twice in one mapping is refused too, naming both lines (YAML would silently keep
the last).

>>> load_yaml("a: 1\\nb: [2, 3]\\n", "model.yaml")
{'a': 1, 'b': [2, 3]}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from budgetopt.errors import InputError
from budgetopt.safe import regular_input

MAX_NODES = 100_000
"""Most values a YAML document may hold with its aliases expanded (a policy model has a few
hundred; a batch manifest a few thousand)."""
MAX_BYTES = 2 * 1024 * 1024
"""Largest YAML file read."""


class _Refused(Exception):
    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses a key repeated within one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # "<<: *defaults": later keys override merged ones, as YAML says
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:
                continue  # an unhashable key: construct_mapping reports it
            line = key_node.start_mark.line + 1
            if first is not None:
                raise _Refused(f"the key '{key}' appears twice in one mapping (lines {first} "
                               f"and {line}): YAML would silently keep the last; keep one",
                               line)
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _expanded_size(root: yaml.Node) -> int:
    """Number of nodes with every alias expanded (memoised on node identity: linear time)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        if done or not children:
            sizes[id(node)] = 1 + sum(sizes.get(id(c), 0) for c in children)
            if sizes[id(node)] > MAX_NODES:
                raise _Refused(f"the document holds more than {MAX_NODES:,} values once its "
                               "aliases (*name) are expanded: too big to read (nested aliases "
                               "can make a small file enormous)",
                               node.start_mark.line + 1)
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def load_yaml(text: str, where: str, *, error: type[InputError] = InputError) -> Any:
    """Parse one YAML document safely.

    Parameters
    ----------
    text : str
        The document.
    where : str
        How the file is named in messages.
    error : type of InputError, default InputError
        The error raised (a policy model raises :class:`budgetopt.errors.PolicyError`).

    Raises
    ------
    InputError (or `error`)
        Not valid YAML, a duplicated key, or too big with its aliases expanded; the message
        names the line.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    except _Refused as e:
        raise error.single(where, str(e), row=e.line) from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        raise error.single(where, f"not valid YAML: {getattr(e, 'problem', None) or e}",
                           row=row) from None
    finally:
        loader.dispose()


def load_shipped_yaml(text: str) -> Any:
    """Parse a YAML file that ships with budgetopt (the catalogue, a BCF rule set): the safe
    tags, by libyaml when PyYAML was built with it (ten times faster than the pure-Python
    parser: the catalogue in 3 ms rather than 36), else by PyYAML's own. Not for a file a
    person gives: :func:`load_yaml` checks those."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def read_yaml(path: str | Path, *, error: type[InputError] = InputError) -> Any:
    """Read and parse a YAML file (UTF-8, at most :data:`MAX_BYTES`); see :func:`load_yaml`."""
    p = Path(path)
    regular_input(p, "the file", where=p.name, error=error)
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise error.single(p.name, f"the file is {size / 1e6:.1f} MB, over the "
                           f"{MAX_BYTES / 1e6:.0f} MB limit for a YAML file")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise error.single(p.name, "the file is not UTF-8 text (byte "
                           f"0x{data[e.start]:02X}): save it as UTF-8", row=line) from None
    return load_yaml(text, p.name, error=error)


__all__ = ["MAX_NODES", "load_shipped_yaml", "load_yaml", "read_yaml"]
