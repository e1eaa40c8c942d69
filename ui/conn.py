"""The store connection for the app: opened read-only once per process, a cursor per query
(a DuckDB connection is not thread-safe and Streamlit runs each session on its own thread).
Only the import page writes, through `writer()`, which closes the shared read-only connection first because
DuckDB allows one configuration per database file in a process."""
from __future__ import annotations

import gc
import os
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from data import store


def db_path() -> Path:
    return store.default_db_path()


@st.cache_resource
def _connection(path: str):
    return store.connect(path, read_only=True)


def cursor():
    return _connection(str(db_path())).cursor()


def version() -> tuple:
    """Changes whenever the store file changes: part of every cache key, so an import shows at once."""
    p = db_path()
    try:
        st_ = os.stat(p)
        return (str(p), st_.st_mtime_ns, st_.st_size)
    except FileNotFoundError:
        return (str(p), 0, 0)


@contextmanager
def writer():
    """A read-write connection for an import; the read-only one is closed meanwhile and reopened after."""
    try:
        _connection(str(db_path())).close()
    except Exception:                       # already closed, or never opened
        pass
    _connection.clear()
    gc.collect()                            # drop cursors of the closed connection so the file is free
    con = store.connect(db_path())
    try:
        yield con
    finally:
        con.close()
        st.cache_data.clear()
