import random

import numpy as np
import pytest
import torch

import ardemo


def test_device_default_follows_cuda(monkeypatch):
    monkeypatch.delenv("ARDEMO_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert ardemo.device().type == expected


def test_device_override_cpu(monkeypatch):
    monkeypatch.setenv("ARDEMO_DEVICE", "cpu")
    assert ardemo.device() == torch.device("cpu")


@pytest.mark.parametrize("value", ["gpu", "cuda:x", "banana"])
def test_device_bad_value_is_clear(monkeypatch, value):
    monkeypatch.setenv("ARDEMO_DEVICE", value)
    with pytest.raises(ValueError, match="ARDEMO_DEVICE"):
        ardemo.device()


def test_device_unavailable_cuda_is_clear(monkeypatch):
    monkeypatch.setenv("ARDEMO_DEVICE", f"cuda:{torch.cuda.device_count()}")
    with pytest.raises(ValueError, match="not available"):
        ardemo.device()


def test_seed_all_repeats_every_stream():
    def draw():
        return random.random(), float(np.random.rand()), torch.rand(3).tolist()

    ardemo.seed_all(7)
    first = draw()
    ardemo.seed_all(7)
    assert draw() == first
    ardemo.seed_all(8)
    assert draw() != first


@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("1", TypeError), (2**40, ValueError)])
def test_seed_all_bad_seed(seed, error):
    with pytest.raises(error, match="seed"):
        ardemo.seed_all(seed)


def test_seed_offset_moves_every_seed_to_another_stream(monkeypatch):
    ardemo.seed_all(3)
    plain = torch.rand(3)
    monkeypatch.setenv("ARDEMO_SEED_OFFSET", "101")
    ardemo.seed_all(3)
    shifted = torch.rand(3)
    assert not torch.equal(plain, shifted)
    torch.manual_seed(104)
    assert torch.equal(shifted, torch.rand(3))
    for bad in ("-1", "two"):
        monkeypatch.setenv("ARDEMO_SEED_OFFSET", bad)
        with pytest.raises(ValueError, match="ARDEMO_SEED_OFFSET: expected an integer >= 0"):
            ardemo.seed_all(0)
