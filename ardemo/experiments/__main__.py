"""``python -m ardemo.experiments``: see :mod:`ardemo.experiments.pixelgnn`."""

from .pixelgnn import main

raise SystemExit(main())
