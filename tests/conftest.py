import pytest
import torch

import ardemo


@pytest.fixture(autouse=True)
def _seed():
    ardemo.seed_all(1234)
    yield


@pytest.fixture
def dev() -> torch.device:
    return ardemo.device()


def pytest_collection_modifyitems(session, config, items):
    """The long replays of the committed results files first, so that ``pytest -n 2`` does not end on them."""
    items.sort(key=lambda item: 0 if item.nodeid.startswith("tests/test_replays.py") else 1)
