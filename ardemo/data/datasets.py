"""Datasets the book trains on, as tensors.

* :func:`digits`: scikit-learn's bundled 8x8 handwritten digits (offline, the default).
* :func:`photo_patches`: patches of scikit-learn's two bundled photographs (offline).
* :func:`ring`: the outer circle of scikit-learn's ``make_circles``, a 2-D toy density.
* :func:`mnist`, :func:`fashion_mnist`: 28x28 images read by torchvision's IDX readers
  from ``<root>/<Name>/raw/`` (``root`` defaults to ``$ARDEMO_DATA_DIR``), downloaded
  there first when ``download=True``.
* :func:`omniglot`: handwritten characters from torchvision's Omniglot folder, averaged down to 28x28.
"""

from __future__ import annotations

import gzip
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..core.validation import check_bool, check_int, check_real, check_tensor

ENV_DATA_DIR = "ARDEMO_DATA_DIR"
DEFAULT_DATA_DIR = Path.home() / ".cache" / "ardemo" / "data"


@dataclass(frozen=True)
class ImageSet:
    """Flattened images with labels.

    Attributes:
        images: ``(N, H*W)`` float tensor in :math:`[0, 1]` (exactly 0/1 when binarised).
        labels: ``(N,)`` integer class labels.
        shape: the image shape ``(H, W)``, for ``images.view(-1, 1, H, W)``.
        name: where the data came from.
    """

    images: torch.Tensor
    labels: torch.Tensor
    shape: tuple[int, int]
    name: str

    def __post_init__(self) -> None:
        images = check_tensor("images", self.images)
        if images.dim() != 2:
            raise ValueError(f"images: expected flattened images of shape (N, H*W), got {tuple(images.shape)}")
        if not isinstance(self.labels, torch.Tensor) or self.labels.shape != images.shape[:1]:
            got = tuple(self.labels.shape) if isinstance(self.labels, torch.Tensor) else type(self.labels).__name__
            raise ValueError(f"labels: expected one label per image, shape ({images.shape[0]},), got {got}")
        if len(self.shape) != 2 or self.shape[0] * self.shape[1] != images.shape[1]:
            raise ValueError(f"shape: expected (H, W) with H*W = {images.shape[1]} pixels, got {tuple(self.shape)}")

    def __len__(self) -> int:
        return self.images.shape[0]

    def __repr__(self) -> str:
        h, w = self.shape
        return f"ImageSet({self.name!r}, {len(self)} images of {h}x{w})"


def _finish(
    images: torch.Tensor,
    labels: torch.Tensor,
    shape: tuple[int, int],
    name: str,
    binarize: bool,
    threshold: float,
    device: torch.device | str | None,
) -> ImageSet:
    threshold = check_real("threshold", threshold, minimum=0.0, maximum=1.0, strict=True)
    if check_bool("binarize", binarize):
        images = (images > threshold).float()
        name = f"{name} (binarised at {threshold:g})"
    return ImageSet(images.to(device), labels.to(device), shape, name)


def binarize_stochastically(images: ImageSet, seed: int = 0) -> ImageSet:
    """Each pixel set to 1 with probability its intensity, once, with a generator seeded by ``seed``
    (the usual "binarised MNIST" of Salakhutdinov & Murray 2008 is made this way), so that the same
    ``seed`` always gives the same images, whatever else has drawn random numbers.

    >>> grey = ImageSet(torch.full((2, 4), 0.5), torch.zeros(2), (2, 2), "grey")
    >>> out = binarize_stochastically(grey, seed=1)
    >>> torch.equal(out.images, binarize_stochastically(grey, seed=1).images), out.name
    (True, 'grey (binarised stochastically, seed 1)')
    """
    if not isinstance(images, ImageSet):
        raise TypeError(f"images: expected an ardemo.data.ImageSet, got {type(images).__name__}")
    seed = check_int("seed", seed, minimum=0)
    pixels = images.images
    if not bool(((pixels >= 0) & (pixels <= 1)).all()):
        raise ValueError("images: expected intensities in [0, 1]")
    generator = torch.Generator().manual_seed(seed)
    binary = torch.bernoulli(pixels.detach().cpu().double(), generator=generator).to(pixels.dtype)
    name = f"{images.name} (binarised stochastically, seed {seed})"
    return ImageSet(binary.to(pixels.device), images.labels, images.shape, name)


def digits(binarize: bool = False, threshold: float = 0.5, device: torch.device | str | None = None) -> ImageSet:
    """scikit-learn's 1,797 handwritten 8x8 digits, intensities scaled from 0..16 to [0, 1].

    With ``binarize=True`` a pixel is 1 where its intensity exceeds ``threshold``.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.as_tensor(bunch.data, dtype=torch.float32) / 16.0
    labels = torch.as_tensor(bunch.target, dtype=torch.long)
    return _finish(images, labels, (8, 8), "sklearn digits 8x8", binarize, threshold, device)


def ring(n: int = 1000, noise: float = 0.05, seed: int = 0, device: torch.device | str | None = None) -> torch.Tensor:
    """``n`` points of the outer (unit-radius) circle of ``make_circles``, shape ``(n, 2)``.

    ``noise`` is the standard deviation of the Gaussian jitter; ``seed`` fixes the draw.
    """
    from sklearn.datasets import make_circles

    n = check_int("n", n, minimum=1)
    noise = check_real("noise", noise, minimum=0.0)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    # make_circles splits n_samples between the circles: ask for twice as many, keep the outer one
    points, which = make_circles(n_samples=2 * n, noise=noise, random_state=seed)
    outer = points[which == 0][:n]
    return torch.as_tensor(np.ascontiguousarray(outer), dtype=torch.float32, device=device)


def photo_patches(
    n: int = 2000,
    size: int = 8,
    scale: int = 4,
    binarize: bool = False,
    threshold: float = 0.5,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> ImageSet:
    """``n`` grey ``size`` x ``size`` patches of scikit-learn's two bundled photographs (``china.jpg``,
    ``flower.jpg``; label 0 or 1): random crops of ``size * scale`` pixels, averaged down by ``scale``.

    Real images of another kind than digits, available offline (negatives for negative sampling).
    """
    from sklearn.datasets import load_sample_images

    n = check_int("n", n, minimum=1)
    size = check_int("size", size, minimum=1)
    scale = check_int("scale", scale, minimum=1)
    seed = check_int("seed", seed, minimum=0)
    photos = torch.stack(
        [torch.tensor(np.asarray(img), dtype=torch.float32).mean(-1) / 255.0 for img in load_sample_images().images]
    )
    side = size * scale
    if side > min(photos.shape[1:]):
        raise ValueError(f"size * scale: expected at most {min(photos.shape[1:])} pixels, got {side}")
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(len(photos), (n,), generator=gen)
    rows = torch.randint(photos.shape[1] - side + 1, (n,), generator=gen)
    cols = torch.randint(photos.shape[2] - side + 1, (n,), generator=gen)
    offsets = torch.arange(side)
    crops = photos[labels[:, None, None], (rows[:, None] + offsets)[:, :, None], (cols[:, None] + offsets)[:, None, :]]
    images = torch.nn.functional.avg_pool2d(crops.unsqueeze(1), scale).flatten(1)
    return _finish(images, labels, (size, size), "sklearn sample photographs", binarize, threshold, device)


_IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def data_dir(root: str | os.PathLike | None = None) -> Path:
    """The folder datasets are read from: ``root``, else ``$ARDEMO_DATA_DIR``, else ``~/.cache/ardemo/data``."""
    if root is not None:
        if not isinstance(root, (str, os.PathLike)):
            raise TypeError(f"root: expected a folder path, got {type(root).__name__}")
        folder, name = Path(root), "root"
    else:
        env = os.environ.get(ENV_DATA_DIR, "").strip()
        folder, name = (Path(env), ENV_DATA_DIR) if env else (DEFAULT_DATA_DIR, "the default data folder")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{name}: expected a folder, got the file {folder}")
    return folder


def _read_idx(raw: Path, stem: str, md5s: dict[str, str], reader) -> torch.Tensor | None:
    """Read ``raw/stem`` (or ``raw/stem.gz``, checking its md5) with a torchvision reader."""
    from torchvision.datasets.utils import check_integrity

    plain, packed = raw / stem, raw / f"{stem}.gz"
    if plain.is_file():
        return _read_checked(plain, stem, reader)
    if not packed.is_file():
        return None
    if not check_integrity(str(packed), md5s.get(packed.name)):
        raise ValueError(f"{packed}: the file is corrupt (its md5 is not the published one)")
    with tempfile.TemporaryDirectory() as tmp:  # the data folder may be read-only: unpack elsewhere
        target = Path(tmp) / stem
        with gzip.open(packed, "rb") as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
        return _read_checked(target, stem, reader, shown=packed)


def _read_checked(path: Path, stem: str, reader, shown: Path | None = None) -> torch.Tensor:
    """``reader(path)``, with any failure (an empty, truncated or swapped file) as a ``ValueError`` that
    names the file and what it should hold."""
    what = "images (an IDX file of shape (n, rows, cols))" if "images" in stem else "labels (an IDX file of shape (n,))"
    try:
        return reader(str(path))
    except Exception as error:  # torchvision's readers fail with assertions, struct or shape errors
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"{shown or path}: expected {what}; the file is empty, truncated or another file ({detail})"
        ) from None


def _load_idx_dataset(
    cls_name: str,
    split: str,
    binarize: bool,
    threshold: float,
    root: str | os.PathLike | None,
    download: bool,
    device: torch.device | str | None,
) -> ImageSet:
    import torchvision.datasets as tvd
    from torchvision.datasets.mnist import read_image_file, read_label_file

    if split not in _IDX_FILES:
        raise ValueError(f"split: expected 'train' or 'test', got {split!r}")
    download = check_bool("download", download)
    check_bool("binarize", binarize)
    cls = getattr(tvd, cls_name)
    folder = data_dir(root)
    raw = folder / cls_name / "raw"
    md5s = dict(cls.resources)
    image_stem, label_stem = _IDX_FILES[split]

    def read() -> tuple[torch.Tensor | None, torch.Tensor | None]:
        return (_read_idx(raw, image_stem, md5s, read_image_file), _read_idx(raw, label_stem, md5s, read_label_file))

    images, labels = read()
    if (images is None or labels is None) and download:
        try:
            cls(str(folder), train=(split == "train"), download=True)
        except Exception as err:  # network errors come in many types
            raise FileNotFoundError(
                f"{cls_name} ({split}) is not in {raw} and could not be downloaded there: {err}"
            ) from err
        images, labels = read()
    if images is None or labels is None:
        raise FileNotFoundError(
            f"{cls_name} ({split}) not found: expected {image_stem}[.gz] and {label_stem}[.gz] in {raw}. "
            f"Set {ENV_DATA_DIR} to the folder that holds {cls_name}/raw/, or pass download=True."
        )
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"{raw}: {image_stem} holds {images.shape[0]} images but {label_stem} {labels.shape[0]} labels; "
            "one of the files is truncated or from another split"
        )
    shape = (int(images.shape[1]), int(images.shape[2]))
    flat = images.reshape(images.shape[0], -1).float() / 255.0
    return _finish(flat, labels, shape, f"{cls_name} {split}", binarize, threshold, device)


def mnist(
    split: str = "test",
    binarize: bool = False,
    threshold: float = 0.5,
    root: str | os.PathLike | None = None,
    download: bool = False,
    device: torch.device | str | None = None,
) -> ImageSet:
    """MNIST handwritten digits (28x28) from ``<root>/MNIST/raw/``; see :func:`data_dir`."""
    return _load_idx_dataset("MNIST", split, binarize, threshold, root, download, device)


def fashion_mnist(
    split: str = "test",
    binarize: bool = False,
    threshold: float = 0.5,
    root: str | os.PathLike | None = None,
    download: bool = False,
    device: torch.device | str | None = None,
) -> ImageSet:
    """Fashion-MNIST clothing images (28x28) from ``<root>/FashionMNIST/raw/``; see :func:`data_dir`."""
    return _load_idx_dataset("FashionMNIST", split, binarize, threshold, root, download, device)


OMNIGLOT_SPLITS = ("background", "evaluation")


def _area_weights(n: int, m: int) -> torch.Tensor:
    """The ``(m, n)`` matrix that averages ``n`` pixels down to ``m``: row ``i`` weighs pixel ``j`` by the
    overlap of ``[j, j + 1)`` with ``[i n/m, (i + 1) n/m)``, divided by ``n/m`` (so ink is conserved).

    >>> _area_weights(3, 2) * 2
    tensor([[1.3333, 0.6667, 0.0000],
            [0.0000, 0.6667, 1.3333]])
    """
    edges = torch.arange(m + 1, dtype=torch.float64) * n / m
    left, right = torch.arange(n, dtype=torch.float64), torch.arange(1, n + 1, dtype=torch.float64)
    overlap = (torch.minimum(edges[1:, None], right) - torch.maximum(edges[:-1, None], left)).clamp(min=0)
    return (overlap * m / n).float()


def omniglot(
    split: str = "background",
    size: int = 28,
    binarize: bool = False,
    threshold: float = 0.5,
    root: str | os.PathLike | None = None,
    download: bool = False,
    device: torch.device | str | None = None,
) -> ImageSet:
    """Omniglot's handwritten characters (Lake et al. 2015) from the folder torchvision's ``Omniglot``
    unpacks, ``<root>/omniglot-py/images_<split>/<alphabet>/<character>/*.png``; see :func:`data_dir`.

    ``split`` is ``"background"`` (964 characters, 19,280 images) or ``"evaluation"`` (659 characters,
    13,180 images). The 105x105 drawings are inverted (strokes 1, paper 0) and averaged down to
    ``size`` x ``size`` (each new pixel the mean over the area it covers, so ink is conserved), as the
    28x28 Omniglot of the importance-weighted autoencoder papers; labels number the characters in
    sorted order. ``download=True`` fetches the split through ``torchvision.datasets.Omniglot`` first
    when it is missing.

    >>> omniglot(root="/no/such/folder")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    FileNotFoundError: Omniglot (background) not found: expected <alphabet>/<character>/*.png in /no/such/folder/...
    """
    from PIL import Image  # torchvision's own Omniglot reads the drawings with it

    if split not in OMNIGLOT_SPLITS:
        raise ValueError(f"split: expected one of {OMNIGLOT_SPLITS}, got {split!r}")
    size = check_int("size", size, minimum=1, maximum=105)
    download = check_bool("download", download)
    check_bool("binarize", binarize)
    folder = data_dir(root)
    images_dir = folder / "omniglot-py" / f"images_{split}"
    if not images_dir.is_dir() and download:
        import torchvision.datasets as tvd

        try:
            tvd.Omniglot(str(folder), background=(split == "background"), download=True)
        except Exception as err:  # network errors come in many types
            raise FileNotFoundError(
                f"Omniglot ({split}) is not in {images_dir} and could not be downloaded there: {err}"
            ) from err
    characters = sorted(p for p in images_dir.glob("*/*") if p.is_dir()) if images_dir.is_dir() else []
    files = [(png, label) for label, character in enumerate(characters) for png in sorted(character.glob("*.png"))]
    if not files:
        raise FileNotFoundError(
            f"Omniglot ({split}) not found: expected <alphabet>/<character>/*.png in {images_dir}. Set "
            f"{ENV_DATA_DIR} to the folder that holds omniglot-py/ (torchvision's layout), or pass download=True."
        )
    out = torch.empty(len(files), size * size)
    for start in range(0, len(files), 1000):  # decode and shrink a thousand drawings at a time
        chunk = files[start : start + 1000]
        pixels = []
        for png, _ in chunk:
            with Image.open(png) as img:
                pixels.append(torch.from_numpy(np.asarray(img.convert("L"), dtype=np.float32) / 255.0))
        shapes = {tuple(p.shape) for p in pixels}
        if len(shapes) != 1:
            raise ValueError(f"{images_dir}: expected drawings of one size, got sizes {sorted(shapes)}")
        ink = 1.0 - torch.stack(pixels)
        rows, cols = _area_weights(ink.shape[1], size), _area_weights(ink.shape[2], size)
        small = rows @ ink @ cols.T
        out[start : start + len(chunk)] = small.flatten(1)
    labels = torch.tensor([label for _, label in files], dtype=torch.long)
    return _finish(
        out.clamp(0.0, 1.0), labels, (size, size), f"Omniglot {split} {size}x{size}", binarize, threshold, device
    )
