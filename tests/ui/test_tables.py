"""Every table in the app: readable headers, £ and % formats, sector names, rounding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from budgetopt.data.schema import SECTOR_LABELS
from budgetopt.ui.tables import kind_of, readable
from tests.apptest import each_tab

ROOT = Path(__file__).resolve().parents[2]
PAGES = "src/budgetopt/ui/pages/"


def test_readable_rounds_names_sectors_and_leaves_blanks_blank():
    frame = pd.DataFrame({"name": ["Home care", None], "sector": ["social_care", "vcse"],
                          "spend_m": [12.34567, 0.0], "change_m": [-0.00001, 1.25],
                          "relative": [0.5148, np.nan], "objective": [791272.4358, 1.0]})
    out = readable(frame)
    assert list(out.columns) == ["Service", "Sector", "Plan (£m)", "Change (£m)",
                                 "As a share of what it buys now", "Objective"]
    assert out["Sector"].tolist() == [SECTOR_LABELS["social_care"], SECTOR_LABELS["vcse"]]
    assert out["Service"].tolist() == ["Home care", ""]  # not "None"
    assert out["Plan (£m)"].tolist() == [12.3, 0.0]
    assert str(out["Change (£m)"].iloc[0]) == "0.0"  # not "-0.0"
    assert out["As a share of what it buys now"].iloc[0] == 51.5  # shown in %
    assert out["Objective"].iloc[0] == 791272.0
    assert kind_of("spend_social_care") == (f"{SECTOR_LABELS['social_care']} (£m)", "money")


def test_results_tables_have_readable_headers():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    frames = []
    for _ in each_tab(at):  # only the open tab's tables are drawn
        assert not at.exception
        frames += [d.value for d in at.dataframe] + [t.value for t in at.table]
    assert len(frames) >= 4
    for frame in frames:
        for col in frame.columns:
            assert "_" not in str(col), col  # no raw column names
        text = frame.astype(str).to_numpy().ravel().tolist()
        assert "None" not in text and "nan" not in text and "-0.00" not in text
    # sector names, not ids, in the by-service table
    by_service = next(f for f in frames if "Sector" in f.columns)
    assert SECTOR_LABELS["social_care"] in set(by_service["Sector"])
    assert "social_care" not in set(
        by_service["Sector"])


def test_priced_rules_keep_a_price_of_a_fall_only_and_say_the_range_in_the_unit():
    """A's cap of £4m binds where the money binds too (tests/solve/test_ranging.py): lifting it buys
    nothing, lowering it gives up 1 per £1m; it is listed. At the kink of the money row
    (A £4m @ 3, B £4m @ 2, £4m) the prices hold from £0.0m to £8.0m."""
    from budgetopt import optimise
    from budgetopt.ui.widgets import priced_rules
    from tests.builders import make_inputs

    y = "2026/27"
    cap = optimise(make_inputs(services=[{"service_id": "A", "max_m": 4.0},
                                         {"service_id": "B"}],
                               curves=[("A", "m", 1, 6, 3), ("B", "m", 1, 4, 2)],
                               funding=[("pool", y, 4.0)]))
    rows = priced_rules(cap).set_index("component")
    assert "bounds_max" in rows.index
    assert rows.loc["bounds_max", "shadow_price"] == pytest.approx(0.0, abs=1e-9)
    assert rows.loc["bounds_max", "shadow_price_down"] == pytest.approx(1.0)
    kink = optimise(make_inputs(services=[{"service_id": "A"}, {"service_id": "B"}],
                                curves=[("A", "m", 1, 4, 3), ("B", "m", 1, 4, 2)],
                                funding=[("pool", y, 4.0)]))
    money = priced_rules(kink).set_index("component").loc["money_source_limit"]
    assert (money["limit_text"], money["holds_from_text"], money["holds_to_text"]) == \
        ("£4.0m", "£0.0m", "£8.0m")
