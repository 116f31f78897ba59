"""Maximum pseudo-likelihood (Besag 1975): the classic :math:`Z`-free objective for fully visible models.

The pseudo-log-likelihood replaces :math:`\\ln p(x)` by the sum of the single-site conditionals,

.. math::

    \\ln \\mathrm{PL}(x) = \\sum_i \\ln p(x_i \\mid x_{-i}),
    \\qquad p(x_i = 1 \\mid x_{-i}) = \\sigma\\Big(\\sum_j W_{ij} x_j + b_i\\Big)

for a Boltzmann machine, so every term is a logistic regression of one unit on the others and
:math:`Z` never appears. Maximising its data average is a consistent estimator of the parameters when
the data come from the model family (Besag 1975); unlike NCE it needs no noise and no normaliser,
and unlike CD no sampling. Its price: it scores conditionals, not the joint, so a model can predict
every pixel from its neighbours and still put its mass in the wrong places.
"""

from __future__ import annotations

import torch

from ..distributions.base import ProbabilisticModel


class PseudoLikelihood:
    """Negative mean pseudo-log-likelihood :math:`-\\overline{\\ln \\mathrm{PL}(x)}` over the batch, for any
    model with a ``pseudo_log_likelihood(x)`` (one value per configuration): a
    :class:`~ardemo.BoltzmannMachine`.

    >>> from ardemo import BoltzmannMachine
    >>> m, x = BoltzmannMachine(3), torch.ones(2, 3)
    >>> torch.allclose(PseudoLikelihood()(m, x), -m.pseudo_log_likelihood(x).mean())
    True

    After a call, ``last_terms`` holds the rows' negative pseudo-log-likelihoods (detached), whose mean
    is the loss.
    """

    def __init__(self) -> None:
        self.last_terms: tuple[torch.Tensor] | None = None

    def __call__(self, model: ProbabilisticModel, batch: torch.Tensor) -> torch.Tensor:
        score = getattr(model, "pseudo_log_likelihood", None)
        if not callable(score):
            raise TypeError(
                f"model: expected a fully visible model with pseudo_log_likelihood(x) (a BoltzmannMachine), "
                f"got {type(model).__name__}"
            )
        if isinstance(batch, torch.Tensor) and batch.dim() >= 1 and batch.shape[0] == 0:
            raise ValueError("batch: expected at least one configuration, got an empty batch (its mean would be NaN)")
        terms = -score(batch)
        self.last_terms = (terms.detach(),)
        return terms.mean()

    def __repr__(self) -> str:
        return "PseudoLikelihood()"
