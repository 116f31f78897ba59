"""Noise-contrastive estimation (NCE) and negative sampling for unnormalised models.

The model's log density is :math:`\\ln p_m(x) = -E(x) + c` with :math:`c` a learned parameter
(at the optimum :math:`c = -\\ln Z`). With :math:`k` noise samples per data point, a logistic
classifier with logit :math:`G(x) = \\ln p_m(x) - \\ln k\\,p_n(x)` is trained to tell data from noise:

.. math::

    J = -\\mathbb{E}_{p_\\text{data}}\\ln\\sigma(G(x)) - k\\,\\mathbb{E}_{p_n}\\ln\\sigma(-G(x)),

minimised where :math:`p_m = p_\\text{data}`. *Negative sampling* uses samples of another kind
as noise and sets :math:`p_n \\equiv 1` (:class:`EmpiricalNegatives`); then the optimum is
:math:`p_m = p_\\text{data}/p_\\text{neg}`, a density ratio, not a density.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..core.validation import check_int, check_tensor
from ..distributions.base import EnergyBasedModel, SampleShape, as_sample_shape


class EmpiricalNegatives:
    """Noise that draws rows of ``images`` uniformly and pretends :math:`\\ln p_n(x) = 0`.

    >>> EmpiricalNegatives(torch.eye(3)).sample((2, 4)).shape
    torch.Size([2, 4, 3])
    """

    def __init__(self, images: torch.Tensor) -> None:
        images = check_tensor("images", images)
        if images.dim() != 2 or images.shape[0] == 0:
            raise ValueError(f"images: expected a non-empty (N, n) tensor, got shape {tuple(images.shape)}")
        self.images = images

    def sample(self, sample_shape: SampleShape = ()) -> torch.Tensor:
        """Rows of ``images`` drawn uniformly with replacement, shape ``sample_shape + (n,)``."""
        shape = as_sample_shape(sample_shape)
        count = math.prod(shape)
        index = torch.randint(self.images.shape[0], (count,), device=self.images.device)
        return self.images[index].reshape(*shape, self.images.shape[1])

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Zero for every row: negative sampling's :math:`p_n \\equiv 1`."""
        return torch.zeros(x.shape[:-1], device=x.device, dtype=x.dtype)

    def __repr__(self) -> str:
        return f"EmpiricalNegatives({self.images.shape[0]} images)"


class NoiseContrastive(nn.Module):
    """NCE objective ``objective(model, batch)`` with ``k`` noise samples per data point.

    Args:
        noise: anything with ``sample(shape)`` and a per-sample ``log_prob(x)``: any ardemo model (e.g.
            :class:`~ardemo.IndependentBernoulli` or a trained :class:`~ardemo.AutoregressiveModel`), a
            ``torch.distributions.Independent(Bernoulli(probs), 1)``, or :class:`EmpiricalNegatives`.
        k: noise-to-data ratio :math:`k \\ge 1` (an integer number of noise samples per data point).

    Attributes:
        c: the learned log normaliser, :math:`\\ln p_m = -E + c`; it is a parameter of this
            module, so optimise ``[*model.parameters(), *objective.parameters()]``. A noise that is a
            module stays fixed: its parameters are not the objective's, and no gradient reaches them.

    >>> from ardemo import BoltzmannMachine, IndependentBernoulli
    >>> data = torch.tensor([[1.0, 1.0], [0.0, 0.0]]).repeat(10, 1)
    >>> nce = NoiseContrastive(IndependentBernoulli.from_data(data), k=5)
    >>> nce(BoltzmannMachine(2), data).shape
    torch.Size([])

    After a call, ``last_terms`` holds minus the data rows' log-sigmoids and minus ``k`` times the noise
    samples' (detached): the loss is the sum of their means, so its standard error follows from them.
    """

    def __init__(self, noise: object, k: int = 1) -> None:
        super().__init__()
        if not (callable(getattr(noise, "sample", None)) and callable(getattr(noise, "log_prob", None))):
            raise TypeError(f"noise: expected an object with sample(shape) and log_prob(x), got {type(noise).__name__}")
        if isinstance(noise, nn.Module):  # a model as noise is fixed: not one of this module's parameters
            object.__setattr__(self, "noise", noise)
        else:
            self.noise = noise
        self.k = check_int("k", k, minimum=1)
        self.c = nn.Parameter(torch.zeros(()))
        self.last_terms: tuple[torch.Tensor, torch.Tensor] | None = None

    def _apply(self, fn, *args, **kwargs):  # .to(), .double(), .cuda(): move a model noise along
        super()._apply(fn, *args, **kwargs)
        if isinstance(self.noise, nn.Module):
            self.noise._apply(fn, *args, **kwargs)
        return self

    def extra_repr(self) -> str:
        return f"noise={self.noise!r}, k={self.k}"

    def _noise_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            out = self.noise.log_prob(x)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape[:-1]:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"noise: expected log_prob with one value per sample, shape {tuple(x.shape[:-1])}, "
                f"got {got} (a per-unit log_prob? wrap it in torch.distributions.Independent)"
            )
        return out.to(x.dtype)

    def logit(self, model: EnergyBasedModel, x: torch.Tensor) -> torch.Tensor:
        """:math:`G(x) = -E(x) + c - \\ln k - \\ln p_n(x)`: the log-odds that ``x`` is data."""
        return model.unnormalized_log_prob(x) + self.c - math.log(self.k) - self._noise_log_prob(x)

    def forward(self, model: EnergyBasedModel, batch: torch.Tensor) -> torch.Tensor:
        """The NCE loss :math:`J` on ``batch`` with ``k`` fresh noise samples per row."""
        if not callable(getattr(model, "unnormalized_log_prob", None)):
            raise TypeError(
                f"model: expected an energy-based model with unnormalized_log_prob, got {type(model).__name__}"
            )
        batch = check_tensor("batch", batch)
        if batch.dim() != 2 or batch.shape[0] == 0:
            raise ValueError(f"batch: expected a non-empty (B, n) tensor, got shape {tuple(batch.shape)}")
        event = getattr(model, "event_shape", None)
        if event is not None and tuple(batch.shape[1:]) != tuple(event):
            raise ValueError(
                f"batch: expected rows of the model's event shape {tuple(event)}, got shape {tuple(batch.shape)}"
            )
        noise_event = getattr(self.noise, "event_shape", None)
        if noise_event is not None and tuple(noise_event) != tuple(batch.shape[1:]):
            raise ValueError(
                f"noise: expected a distribution over events of shape {tuple(batch.shape[1:])} like the batch, "
                f"got event_shape {tuple(noise_event)}"
            )
        noise = self.noise.sample((self.k * batch.shape[0],)).to(batch.dtype)
        data_terms = nn.functional.logsigmoid(self.logit(model, batch))
        noise_terms = nn.functional.logsigmoid(-self.logit(model, noise))
        self.last_terms = (-data_terms.detach(), -self.k * noise_terms.detach())  # the loss: the sum of their means
        return -(data_terms.mean() + self.k * noise_terms.mean())
