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
