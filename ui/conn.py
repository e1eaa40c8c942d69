"""The store connection for the app: opened read-only once per process, a cursor per query
(a DuckDB connection is not thread-safe and Streamlit runs each session on its own thread)."""
from __future__ import annotations

import streamlit as st

from data import store


@st.cache_resource
def _connection(path: str):
    return store.connect(path, read_only=True)


def cursor():
    return _connection(str(store.default_db_path())).cursor()
