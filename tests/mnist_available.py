"""Whether the MNIST test split is on this machine (under ``$ARDEMO_DATA_DIR``): a mark for the tests that
read it. CI has it (``../shared/data``); elsewhere those tests are skipped, with the reason."""

import pytest

import ardemo

try:
    ardemo.data.mnist("test")
    HAVE_MNIST = True
except FileNotFoundError:
    HAVE_MNIST = False

needs_mnist = pytest.mark.skipif(not HAVE_MNIST, reason="MNIST is not under $ARDEMO_DATA_DIR")
