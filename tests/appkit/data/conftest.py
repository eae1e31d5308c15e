"""Fixtures for the data layer's tests: a store on a file in the test's own folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appkit.data import Migrations, Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "app.db"


@pytest.fixture
def migrations() -> Migrations:
    return Migrations()


@pytest.fixture
def store(db_path: Path, migrations: Migrations) -> Iterator[Store]:
    store = Store(db_path, migrations=migrations)
    yield store
    store.close()
