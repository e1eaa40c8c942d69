"""Data layer: the DuckDB store, the importer, the demo generator and their configuration."""
