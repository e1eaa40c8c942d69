"""The store connection for the app: opened read-only per store file (a cursor per query: a DuckDB connection is
not thread-safe and Streamlit runs each session on its own thread).

Imports never write the file the app has open: they write a copy and swap it in atomically (data/storefile.py).
`cursor()` notices the swap (the file's inode changes) and opens the new file, so the next query after an import
sees its data while queries already running finish on the old file."""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import streamlit as st

from data import store, storefile


def db_path() -> Path:
    return store.default_db_path()


@st.cache_resource(max_entries=2)
def _connection(path: str, version: tuple):
    # an evicted connection is not closed here: cursors of running queries may still use it; it closes with them
    return storefile.open_reader(path)


def cursor():
    v = version()
    if v[1] == 0:                           # no store yet: create an empty one
        _connection(str(db_path()), v)
        v = version()
    return _connection(str(db_path()), v).cursor()


def version() -> tuple:
    """Changes whenever the store file changes (a new file after an import): part of every cache key."""
    p = db_path()
    try:
        st_ = os.stat(p)
        return (str(p), st_.st_ino, st_.st_mtime_ns, st_.st_size)
    except FileNotFoundError:
        return (str(p), 0, 0, 0)


@contextmanager
def writer(wait_seconds: float = 0.0):
    """An import's connection (`.con`) on a copy of the store, swapped in when the block ends (unless `.discard()`ed);
    storefile.StoreBusy when another import holds the store."""
    try:
        with storefile.writing(db_path(), wait_seconds=wait_seconds) as w:
            yield w
    finally:
        st.cache_data.clear()
