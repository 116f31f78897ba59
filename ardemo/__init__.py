"""ardemo: the companion library of the book on discrete generative models.

The package is split by kind, and imports run one way, from the bottom up:

``core`` (devices, seeds, checks, enumeration, standard errors) → ``distributions`` (the model
contract, Bernoulli and relaxed samples) and ``data`` → ``lattices`` (lattices, graphs, groups,
energies) → ``exact`` (exact solvers) → ``models`` → ``sampling`` (MCMC, AIS) → ``learning``
(training loop, estimators, objectives) → ``experiments`` and ``book`` (the book's own tooling).

Every public name of the subpackages (their ``__all__``) is importable from ``ardemo`` itself, and
chapters import nothing else; ``ardemo.data``, ``ardemo.labcheck`` and the subpackages are modules.
"""

from . import book, core, data, distributions, exact, experiments, lattices, learning, models, sampling
from .book import html_table, labcheck, show_images
from .core import *  # noqa: F403
from .distributions import *  # noqa: F403
from .exact import *  # noqa: F403
from .experiments import results_file
from .lattices import *  # noqa: F403
from .learning import *  # noqa: F403
from .models import *  # noqa: F403
from .sampling import *  # noqa: F403

__all__ = [
    *core.__all__,
    *distributions.__all__,
    *lattices.__all__,
    *exact.__all__,
    *models.__all__,
    *sampling.__all__,
    *learning.__all__,
    "results_file",
    "show_images",
    "html_table",
    "data",
    "labcheck",
    "book",
    "core",
    "distributions",
    "exact",
    "experiments",
    "lattices",
    "learning",
    "models",
    "sampling",
]

__version__ = "0.1.0"
