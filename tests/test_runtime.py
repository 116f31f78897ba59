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


def test_one_thread_by_default_and_the_variable_overrides(monkeypatch):
    """The thread policy: one intra-op thread per process (a chapter beside another torch process keeps
    its time), unless ARDEMO_THREADS says otherwise; seed_all and device apply it."""
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("ARDEMO_THREADS", raising=False)
        torch.set_num_threads(2)
        ardemo.seed_all(0)
        assert ardemo.threads() == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("ARDEMO_THREADS", "2")
        ardemo.device()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("value", ["0", "two", "-1", "1.5"])
def test_a_bad_thread_count_is_named(monkeypatch, value):
    monkeypatch.setenv("ARDEMO_THREADS", value)
    with pytest.raises(ValueError, match="ARDEMO_THREADS: expected an integer >= 1"):
        ardemo.seed_all(0)
