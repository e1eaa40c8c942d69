"""Rules that pages used to re-derive, now in metrics/ and shared: the 红黑榜 size."""
from __future__ import annotations

import pandas as pd

from metrics.score import honour_lists, rank


def _board(scores):
    return rank(pd.DataFrame({"unit": [f"U{i}" for i in range(len(scores))], "score": scores}))


def test_honour_lists_size_and_no_overlap():
    top, bottom = honour_lists(_board([90, 80, 70, None]))          # three scored: one each
    assert list(top["unit"]) == ["U0"] and list(bottom["unit"]) == ["U2"]
    top, bottom = honour_lists(_board([90, 80, 70, 60, 50]))        # five: two each (three would share U2)
    assert list(top["unit"]) == ["U0", "U1"] and list(bottom["unit"]) == ["U4", "U3"]
    top, bottom = honour_lists(_board([9, 8, 7, 6, 5, 4, 3]))       # seven: three each, worst first
    assert list(top["unit"]) == ["U0", "U1", "U2"] and list(bottom["unit"]) == ["U6", "U5", "U4"]
    top, bottom = honour_lists(_board([90, None]))                  # under two scored: no lists
    assert top.empty and bottom.empty
