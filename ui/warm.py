"""Warm the shared caches after an import, before anyone asks (issue 15: twenty people open the ranking at once).

A 推进会's link is opened by everyone in the same minute, usually hours after the month's import. The expensive,
shared part of that page — the street board of 上月 with 较上期/同比, its rank intervals (a bootstrap), the twelve
months of 排名走势 and the quality flags — is the same for every unscoped viewer, so one background thread per
server process computes it whenever the store changes (an import swaps the file: ui/conn.version()), through the
very cached reads the pages use (ui/data.py, ui/fairdata.py): no second list of numbers, only a second caller.

On with GRIDGOV_WARM=1 (`make run` sets it); off by default so tests and one-off runs do not compute in the
background.
"""
from __future__ import annotations

import logging
import os
import threading
import time

import streamlit as st

from . import data, fairdata
from .conn import version

CHECK_SECONDS = 15
log = logging.getLogger("gridgov.warm")
if not log.handlers:                 # one line per warming in the server's log (Streamlit configures only its own)
    _h = logging.StreamHandler()
    _h.setFormatter(logging.Formatter("%(asctime)s %(name)s: %(message)s"))
    log.addHandler(_h)
    log.setLevel(logging.INFO)


def warm_once() -> None:
    """What the first unscoped visit of the ranking (and the big screen) of 上月 computes."""
    from metrics.compute import Filters
    from metrics.rank_history import last_whole_month

    from . import filters as flt

    d_from, d_to = flt.preset_range("上月", flt.today())
    f = Filters(d_from, d_to)
    board = data.scoreboard(f)
    if board.empty:
        return
    fairdata.intervals(f, "street")
    fairdata.flagged(f)
    data.rank_history(last_whole_month(d_to), 12, "street", None)


def _loop() -> None:
    seen = None
    while True:
        try:
            v = version()
            if v != seen and v[1]:
                t = time.monotonic()
                warm_once()
                log.info("caches warmed for store %s in %.1f s", v[0], time.monotonic() - t)
                seen = v
        except Exception:                        # never take the server down; the pages compute on demand
            log.exception("warming the caches failed")
        time.sleep(CHECK_SECONDS)


@st.cache_resource
def _start() -> threading.Thread:
    t = threading.Thread(target=_loop, name="gridgov-warm", daemon=True)
    t.start()
    return t


def start() -> None:
    """Start this process's warming thread once (app.py calls it on every run; only the first starts it)."""
    if os.environ.get("GRIDGOV_WARM") == "1":
        _start()
