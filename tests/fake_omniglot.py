"""A small Omniglot folder in torchvision's layout, for the tests (the real one is not on this machine):
``<root>/omniglot-py/images_<split>/<alphabet>/<character>/*.png``, 105x105 drawings, black strokes on white."""

from pathlib import Path

import numpy as np
from PIL import Image


def make_fake_omniglot(root: Path, characters: dict[str, int], drawings: int = 20) -> Path:
    """Write ``drawings`` PNGs for each of ``characters[split]`` characters (in two alphabets) of each split.

    Drawing ``k`` of character ``c`` is white paper with a black square of side ``15 + c`` pixels whose top
    left corner is at ``(3k, 3k)``, so a loader's output can be checked by hand."""
    for split, count in characters.items():
        for c in range(count):
            folder = root / "omniglot-py" / f"images_{split}" / f"Alphabet_{c % 2}" / f"character{c:02d}"
            folder.mkdir(parents=True, exist_ok=True)
            for k in range(drawings):
                page = np.full((105, 105), 255, dtype=np.uint8)
                page[3 * k : 3 * k + 15 + c, 3 * k : 3 * k + 15 + c] = 0
                Image.fromarray(page).save(folder / f"{c:04d}_{k:02d}.png")
    return root
