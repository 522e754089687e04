"""Tagging tests: every test starts with no compiled rules and no loaded model in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.tagging import service, train


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    service.forget()
    train.forget()
    yield
    service.forget()
    train.forget()




@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo-set tagger, trained once for the whole run and saved to a file."""
    path = tmp_path_factory.mktemp("tagger") / train.MODEL_FILE
    train.save(train.fit(train.demo_examples(), version="test1"), path)
    return path
