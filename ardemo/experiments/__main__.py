"""``python -m ardemo.experiments``: see :mod:`ardemo.experiments.cli`."""

from .cli import main

raise SystemExit(main())
