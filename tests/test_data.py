from pathlib import Path

import pytest
import torch

from ardemo import data

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_mnist = pytest.mark.skipif(
    not (SHARED / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"the MNIST test split is not in {SHARED}",
)


def test_digits():
    d = data.digits()
    assert d.images.shape == (1797, 64) and d.shape == (8, 8)
    assert d.images.min() == 0 and d.images.max() == 1
    assert set(d.labels.unique().tolist()) == set(range(10))
    b = data.digits(binarize=True)
    assert set(b.images.unique().tolist()) == {0.0, 1.0}
    assert torch.equal(b.images, (d.images > 0.5).float())


def test_ring_is_the_outer_unit_circle():
    x = data.ring(400, noise=0.0)
    assert x.shape == (400, 2)
    torch.testing.assert_close(x.norm(dim=1), torch.ones(400))
    noisy = data.ring(400, noise=0.05)
    assert 0.02 < (noisy.norm(dim=1) - 1).std() < 0.08


@needs_mnist
def test_mnist_test_split_from_shared_folder():
    m = data.mnist("test", root=SHARED)
    assert m.images.shape == (10_000, 784) and m.shape == (28, 28)
    assert m.images.dtype == torch.float32 and 0 <= m.images.min() and m.images.max() == 1
    # the first test labels of the official file
    assert m.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert torch.bincount(m.labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    b = data.mnist("test", binarize=True, root=SHARED)
    assert set(b.images.unique().tolist()) == {0.0, 1.0}


@needs_mnist
def test_mnist_root_from_environment(monkeypatch):
    monkeypatch.setenv("ARDEMO_DATA_DIR", str(SHARED))
    assert len(data.mnist()) == 10_000


def test_missing_dataset_names_dataset_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"FashionMNIST \(test\) not found.*" + str(tmp_path)):
        data.fashion_mnist(root=tmp_path)


def test_corrupt_file_is_detected(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "t10k-images-idx3-ubyte.gz").write_bytes(b"not really gzip")
    (raw / "t10k-labels-idx1-ubyte.gz").write_bytes(b"not really gzip")
    with pytest.raises(ValueError, match="corrupt"):
        data.mnist(root=tmp_path)


def test_bad_split_and_threshold(tmp_path):
    with pytest.raises(ValueError, match="split"):
        data.mnist("validation", root=tmp_path)
    with pytest.raises(ValueError, match="threshold"):
        data.digits(binarize=True, threshold=1.5)


def test_a_truncated_label_file_is_refused(tmp_path):
    """Uncompressed IDX files are not checksummed: a label file shorter than the image file was accepted."""
    import numpy as np

    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    images = np.zeros((5, 28, 28), dtype=np.uint8)
    (raw / "t10k-images-idx3-ubyte").write_bytes(
        bytes([0, 0, 8, 3]) + np.array([5, 28, 28], ">i4").tobytes() + images.tobytes()
    )
    (raw / "t10k-labels-idx1-ubyte").write_bytes(bytes([0, 0, 8, 1]) + np.array([3], ">i4").tobytes() + bytes(3))
    with pytest.raises(ValueError, match="holds 5 images but t10k-labels-idx1-ubyte 3 labels"):
        data.mnist("test", root=tmp_path)


def test_omniglot_is_read_from_torchvisions_folder_inverted_and_averaged_down(tmp_path):
    from fake_omniglot import make_fake_omniglot

    make_fake_omniglot(tmp_path, {"background": 3, "evaluation": 2}, drawings=4)
    o = data.omniglot("background", root=tmp_path)
    assert o.images.shape == (12, 784) and o.shape == (28, 28) and "Omniglot background" in o.name
    # sorted by alphabet, then character: Alphabet_0 holds characters 0 and 2, Alphabet_1 character 1
    assert o.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    # strokes count 1, paper 0, and averaging down conserves ink: character c's drawings hold
    # (15 + c)^2 / 105^2 of a page (adaptive average pooling, whose windows overlap, missed this)
    ink = o.images.sum(1) / 784
    assert torch.allclose(ink[:4], torch.full((4,), 15 * 15 / 105**2), atol=1e-5)
    assert torch.allclose(ink[4:8], torch.full((4,), 17 * 17 / 105**2), atol=1e-5)  # character02, in Alphabet_0
    assert torch.allclose(ink[8:], torch.full((4,), 16 * 16 / 105**2), atol=1e-5)  # character01, in Alphabet_1
    # the square sits in the top-left corner for k = 0: the first 28x28 pixel holds ink, the last none
    first = o.images[0].view(28, 28)
    assert first[0, 0] == 1 and first[-1, -1] == 0
    small = data.omniglot("evaluation", size=7, binarize=True, root=tmp_path)
    assert small.images.shape == (8, 49) and set(small.images.unique().tolist()) <= {0.0, 1.0}


def test_omniglot_bad_input_names_the_argument_or_the_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"Omniglot \(background\) not found.*omniglot-py.*download=True"):
        data.omniglot(root=tmp_path)
    with pytest.raises(ValueError, match="split: expected one of"):
        data.omniglot("train", root=tmp_path)
    with pytest.raises(ValueError, match="size"):
        data.omniglot(size=0, root=tmp_path)
    with pytest.raises(TypeError, match="download"):
        data.omniglot(download="yes", root=tmp_path)
