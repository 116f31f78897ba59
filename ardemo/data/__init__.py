"""Data: the data sets the book trains on, as tensors (offline by default)."""

from .datasets import (
    DEFAULT_DATA_DIR,
    ENV_DATA_DIR,
    ImageSet,
    binarize_stochastically,
    data_dir,
    digits,
    fashion_mnist,
    mnist,
    omniglot,
    photo_patches,
    ring,
)

__all__ = [
    "DEFAULT_DATA_DIR",
    "ENV_DATA_DIR",
    "ImageSet",
    "binarize_stochastically",
    "data_dir",
    "digits",
    "fashion_mnist",
    "mnist",
    "omniglot",
    "photo_patches",
    "ring",
]
