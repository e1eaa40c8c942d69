"""Indicator layer: Streamlit-free, importable, unit-tested."""
