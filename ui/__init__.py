"""Streamlit helpers shared by the pages (connection, formatting). Pages import from here."""
