"""budgetopt.safe: all-or-nothing writing, no output over an input, no text as a formula."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from budgetopt.errors import InputError
from budgetopt.safe import (
    atomic_path,
    csv_safe,
    csv_text,
    looks_like_formula,
    refuse_overwriting_inputs,
    write_atomically,
    write_csv,
)

HOSTILE = ["=cmd|' /C calc'!A0", '=HYPERLINK("http://x","y")', "@SUM(A1:A2)", "+1+1", "-1+1",
           "\tx", "\rx"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_evaluate_is_guarded(text):
    assert looks_like_formula(text)
    assert csv_text(text) == "'" + text


@pytest.mark.parametrize("value", ["Reablement", "", " =not first", -1.5, 3, None])
def test_plain_text_and_numbers_are_left_alone(value):
    assert not looks_like_formula(value)
    assert csv_text(value) == value


def test_a_csv_carries_no_formula_but_keeps_its_numbers(tmp_path):
    frame = pd.DataFrame({"service_id": HOSTILE, "spend_m": [-1.5] * len(HOSTILE)})
    frame["=col"] = "x"
    path = tmp_path / "t.csv"
    write_csv(frame, path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert all(not looks_like_formula(v) for v in back["service_id"])
    assert list(back["service_id"]) == ["'" + t for t in HOSTILE]
    assert list(back.columns) == ["service_id", "spend_m", "'=col"]
    assert set(back["spend_m"]) == {"-1.5"}
    assert list(frame["service_id"]) == HOSTILE  # the frame itself is not changed
    assert csv_safe(frame)["spend_m"].tolist() == [-1.5] * len(HOSTILE)


def test_several_files_appear_together_or_not_at_all(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("old a")

    def fail(_p: Path) -> None:
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        write_atomically({a: lambda p: p.write_text("new a"), b: fail})
    assert a.read_text() == "old a" and not b.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt"]  # no temporary left
    write_atomically({a: lambda p: p.write_text("new a"), b: lambda p: p.write_text("b")})
    assert a.read_text() == "new a" and b.read_text() == "b"


def test_writing_onto_a_folder_or_into_a_missing_folder_is_bad_input(tmp_path):
    (tmp_path / "dir").mkdir()
    for target in (tmp_path / "dir", tmp_path / "missing" / "x.json"):
        with pytest.raises(InputError) as err:
            write_atomically({target: lambda p: p.write_text("x")})
        assert str(target) in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir"]


def test_a_full_disk_is_bad_input_naming_the_file(tmp_path):
    target = tmp_path / "r.json"

    def full(_p: Path) -> None:
        import errno

        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(InputError, match="No space left"):
        write_atomically({target: full})
    assert list(tmp_path.iterdir()) == []


def test_an_atomic_folder_appears_whole(tmp_path):
    target = tmp_path / "out"
    with pytest.raises(RuntimeError), atomic_path(target, folder=True) as tmp:
        (tmp / "x.csv").write_text("1")
        raise RuntimeError
    assert list(tmp_path.iterdir()) == []
    with atomic_path(target, folder=True) as tmp:
        (tmp / "x.csv").write_text("1")
    assert (target / "x.csv").read_text() == "1"


def test_an_output_that_is_or_lies_inside_an_input_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "services.csv").write_text("x")
    model = tmp_path / "model.yaml"
    model.write_text("x")
    (tmp_path / "link.yaml").symlink_to(model)
    for output in (data, data / "services.csv", data / "new.json", model, tmp_path / "link.yaml",
                   tmp_path / "." / "model.yaml"):
        with pytest.raises(InputError) as err:
            refuse_overwriting_inputs({"--json": output}, [data, model])
        assert "--json" in str(err.value) and "never replaces an input" in str(err.value)
    refuse_overwriting_inputs({"--json": tmp_path / "r.json", "--excel": None}, [data, model])


def test_two_outputs_on_one_path_are_refused(tmp_path):
    with pytest.raises(InputError, match="also given as --json"):
        refuse_overwriting_inputs({"--json": tmp_path / "r", "--excel": tmp_path / "r"}, [])
