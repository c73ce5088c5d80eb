"""Fixtures shared by the whole suite: only paths into the repository.

Test-specific fixtures belong in the test files (or a conftest.py in a sub-folder) that use them.
For scratch files use pytest's own ``tmp_path``.
"""

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository's top folder (where pyproject.toml is)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def example_dir(repo_root: Path) -> Path:
    """The example ICS data set as a folder of CSV files: ``inputs/example/``."""
    return repo_root / "inputs" / "example"


@pytest.fixture(scope="session")
def example_xlsx(repo_root: Path) -> Path:
    """The same example data set as one workbook: ``inputs/example.xlsx``."""
    return repo_root / "inputs" / "example.xlsx"


@pytest.fixture(scope="session")
def models_dir(repo_root: Path) -> Path:
    """The scenario files: ``models/*.yaml``."""
    return repo_root / "models"


@pytest.fixture(autouse=True)
def _private_scenario_store(tmp_path_factory, monkeypatch):
    """No test writes to the user's own scenario store: each test gets an empty one."""
    path = tmp_path_factory.mktemp("store") / "scenarios.db"
    monkeypatch.setenv("BUDGETOPT_DB_URL", f"sqlite:///{path}")
