import pytest

from data import store


@pytest.fixture
def con(tmp_path):
    """A fresh store file in a temp dir, schema applied."""
    c = store.connect(tmp_path / "store.duckdb")
    yield c
    c.close()


def snapshot(con) -> dict:
    """Row count and content checksum of every table: equal snapshots mean an unchanged store."""
    return {t: store.content_checksum(con, t) for t in store.TABLES}
