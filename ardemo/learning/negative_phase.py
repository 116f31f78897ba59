"""Maximum-likelihood objectives, by how they get the negative phase :math:`\\mathbb{E}_p[\\nabla E]`.

Each objective is called as ``objective(model, batch)`` and returns a scalar whose gradient is
(an estimate of) :math:`-\\nabla\\,\\overline{\\ln p(x)}` over the batch:

* :class:`ExactLikelihood`: :math:`-\\overline{\\ln p}` for any model with an exact ``log_prob`` (a
  Boltzmann machine's :math:`\\ln Z` by enumeration: small machines).
* :class:`GibbsLikelihood`: :math:`\\overline{E(x_\\text{data})} - \\overline{E(x_\\text{model})}`, the model
  samples from Gibbs chains started fresh (uniform noise), at the batch (contrastive divergence,
  CD-k) or where the previous step left them (persistent CD / stochastic maximum likelihood); for a
  Boltzmann machine (energy :math:`E`) or a Gaussian–Bernoulli RBM (free energy :math:`F`).
"""

from __future__ import annotations

import torch

from ..core.validation import check_int
from ..distributions.base import ProbabilisticModel
from ..models.boltzmann import BoltzmannMachine
from ..models.rbm import GaussianBernoulliRBM

INITS = ("fresh", "data", "persistent")


def _check_nonempty(batch: object) -> None:
    if isinstance(batch, torch.Tensor) and batch.dim() >= 1 and batch.shape[0] == 0:
        raise ValueError("batch: expected at least one configuration, got an empty batch (its mean would be NaN)")


class ExactLikelihood:
    """Exact negative log-likelihood :math:`-\\overline{\\ln p(x)}` of any model whose ``log_prob`` is exact
    (a Boltzmann machine by enumeration, in the batch's dtype; an autoregressive model, a PixelGNN, a
    sigmoid belief network, a Gaussian–Bernoulli RBM ...).

    >>> from ardemo import BoltzmannMachine
    >>> m, x = BoltzmannMachine(3), torch.ones(2, 3)
    >>> torch.allclose(ExactLikelihood()(m, x), -m.log_prob(x).mean())
    True
    """

    def __call__(self, model: ProbabilisticModel, batch: torch.Tensor) -> torch.Tensor:
        if not isinstance(model, ProbabilisticModel):
            raise TypeError(f"model: expected an ardemo model (a ProbabilisticModel), got {type(model).__name__}")
        _check_nonempty(batch)
        if isinstance(model, BoltzmannMachine):
            return -model.log_prob(batch, dtype=batch.dtype).mean()
        return -model.log_prob(batch).mean()

    def __repr__(self) -> str:
        return "ExactLikelihood()"


class GibbsLikelihood:
    """Negative phase from ``sweeps`` Gibbs sweeps of ``chains`` chains.

    Args:
        init: ``"fresh"`` (uniform random start every step), ``"data"`` (start at the batch:
            CD-k, ``chains`` is then the batch size) or ``"persistent"`` (continue the chains
            of the previous step: PCD / SML).
        sweeps: :math:`k`, Gibbs sweeps per step.
        chains: number of chains for ``"fresh"`` and ``"persistent"``.

    After a call, ``last_terms`` holds the per-row energies of the batch and minus those of the
    negatives (detached): the loss is the sum of their means, so its standard error follows from them.

    >>> from ardemo import BoltzmannMachine
    >>> objective = GibbsLikelihood("persistent", sweeps=1, chains=10)
    >>> objective(BoltzmannMachine(3), torch.ones(4, 3)).shape, objective.state.shape
    (torch.Size([]), torch.Size([10, 3]))
    """

    def __init__(self, init: str = "persistent", sweeps: int = 1, chains: int = 100) -> None:
        if init not in INITS:
            raise ValueError(f"init: expected one of {INITS}, got {init!r}")
        self.init = init
        self.sweeps = check_int("sweeps", sweeps, minimum=1)
        self.chains = check_int("chains", chains, minimum=1)
        self.state: torch.Tensor | None = None
        self.last_terms: tuple[torch.Tensor, torch.Tensor] | None = None

    def __repr__(self) -> str:
        return f"GibbsLikelihood(init={self.init!r}, sweeps={self.sweeps}, chains={self.chains})"

    def state_dict(self) -> dict[str, torch.Tensor | None]:
        """The persistent chains (for a checkpoint)."""
        return {"state": self.state}

    def load_state_dict(self, state: dict[str, torch.Tensor | None]) -> None:
        """Continue from the chains a :meth:`state_dict` saved."""
        self.state = state["state"]

    def start(self, model: BoltzmannMachine | GaussianBernoulliRBM, batch: torch.Tensor) -> torch.Tensor:
        """Where this step's chains begin."""
        if self.init == "data":
            return batch
        if self.init == "persistent" and self.state is not None:
            return self.state
        if isinstance(model, GaussianBernoulliRBM):  # x ~ p(x | z) with z uniform
            return model.chain_start(self.chains)
        return torch.bernoulli(torch.full((self.chains, model.n_units), 0.5, device=batch.device, dtype=batch.dtype))

    def __call__(self, model: BoltzmannMachine | GaussianBernoulliRBM, batch: torch.Tensor) -> torch.Tensor:
        if not isinstance(model, (BoltzmannMachine, GaussianBernoulliRBM)):
            raise TypeError(
                f"model: expected an ardemo.BoltzmannMachine or GaussianBernoulliRBM (a model with Gibbs sweeps), "
                f"got {type(model).__name__}"
            )
        batch = model.check_event("batch", batch)
        _check_nonempty(batch)
        x = self.start(model, batch)
        if isinstance(model, GaussianBernoulliRBM):
            with torch.no_grad():
                for _ in range(self.sweeps):
                    x = model._gibbs(x)
            energy = model.free_energy
        else:
            x = model.gibbs(x, self.sweeps)
            energy = model.energy
        self.state = negatives = x
        positive, negative = energy(batch), energy(negatives)
        self.last_terms = (positive.detach(), -negative.detach())  # the loss is the sum of their means
        return positive.mean() - negative.mean()


def contrastive_divergence_loss(
    model: GaussianBernoulliRBM, data: torch.Tensor, negatives: torch.Tensor
) -> torch.Tensor:
    """Surrogate whose gradient is the CD/PCD estimate of :math:`-\\nabla \\ln p`:
    :math:`\\overline{F(x_\\text{data})} - \\overline{F(x_\\text{model})}` with ``negatives`` held fixed.

    >>> from ardemo import GaussianBernoulliRBM
    >>> rbm, x = GaussianBernoulliRBM(2, 3), torch.randn(5, 2)
    >>> contrastive_divergence_loss(rbm, x, x).item()  # no gradient when the negatives are the data
    0.0
    """
    if not isinstance(model, GaussianBernoulliRBM):
        raise TypeError(f"model: expected an ardemo.GaussianBernoulliRBM, got {type(model).__name__}")
    data, negatives = model.check_event("data", data), model.check_event("negatives", negatives)
    return model.free_energy(data).mean() - model.free_energy(negatives.detach()).mean()
