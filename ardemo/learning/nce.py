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

from ..core.validation import check_int
from ..distributions.base import EnergyBasedModel, ProbabilisticModel


class EmpiricalNegatives(ProbabilisticModel):
    """Noise that draws rows of ``images`` (shape ``(N, *event_shape)``) uniformly and pretends
    :math:`\\ln p_n(x) = 0`: negative sampling's :math:`p_n \\equiv 1`, deliberately *not* a normalised
    density (so NCE with it estimates a density ratio). Otherwise it keeps the model contract:
    ``event_shape``, ``sample(shape)``, ``log_prob`` in the images' floating dtype, shape checks.

    >>> noise = EmpiricalNegatives(torch.eye(3))
    >>> noise.sample((2, 4)).shape, noise.event_shape, noise.log_prob(torch.ones(5, 3))
    (torch.Size([2, 4, 3]), torch.Size([3]), tensor([0., 0., 0., 0., 0.]))
    """

    support = "real"

    def __init__(self, images: torch.Tensor, validate_args: bool | None = None) -> None:
        super().__init__(validate_args)
        if not isinstance(images, torch.Tensor):
            raise TypeError(f"images: expected a torch.Tensor, got {type(images).__name__}")
        if images.dim() < 2 or images.shape[0] == 0:
            raise ValueError(f"images: expected a non-empty (N, n) tensor, got shape {tuple(images.shape)}")
        if images.is_complex() or images.dtype == torch.bool:
            raise TypeError(f"images: expected real numbers, got dtype {images.dtype}")
        self.register_buffer("images", images)
        self.support = "real" if images.is_floating_point() else "group"

    @property
    def event_shape(self) -> torch.Size:
        return self.images.shape[1:]

    @property
    def dtype(self) -> torch.dtype:
        return self.images.dtype if self.images.is_floating_point() else torch.get_default_dtype()

    def _sample(self, n: int) -> torch.Tensor:
        """Rows of ``images`` drawn uniformly with replacement."""
        return self.images[torch.randint(self.images.shape[0], (n,), device=self.images.device)]

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Zero for every row."""
        return torch.zeros(x.shape[0], device=x.device, dtype=self.dtype)

    def extra_repr(self) -> str:
        return f"{self.images.shape[0]} images"


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

    def _noise_log_prob(self, x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        with torch.no_grad():
            out = self.noise.log_prob(x)
        if not isinstance(out, torch.Tensor) or out.shape != x.shape[:1]:
            got = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise ValueError(
                f"noise: expected log_prob with one value per sample, shape {tuple(x.shape[:1])}, "
                f"got {got} (a per-unit log_prob? wrap it in torch.distributions.Independent)"
            )
        return out.to(dtype)

    @staticmethod
    def _score(model: object, x: torch.Tensor) -> torch.Tensor:
        """:math:`-E(x)` of an energy-based model, or :math:`\\ln p(x)` of a normalised one."""
        unnormalized = getattr(model, "unnormalized_log_prob", None)
        return unnormalized(x) if callable(unnormalized) else model.log_prob(x)

    def logit(self, model: EnergyBasedModel | ProbabilisticModel, x: torch.Tensor) -> torch.Tensor:
        """:math:`G(x) = -E(x) + c - \\ln k - \\ln p_n(x)`: the log-odds that ``x`` is data (:math:`\\ln p(x)`
        in place of :math:`-E(x)` for a normalised model, whose :math:`c` should then stay near 0)."""
        score = self._score(model, x)
        return score + self.c - math.log(self.k) - self._noise_log_prob(x, score.dtype)

    def forward(self, model: EnergyBasedModel | ProbabilisticModel, batch: torch.Tensor) -> torch.Tensor:
        """The NCE loss :math:`J` on ``batch`` (shape ``(B, *event_shape)``) with ``k`` fresh noise samples
        per row. ``model`` is energy-based (``unnormalized_log_prob``) or any model with ``log_prob``."""
        if not (callable(getattr(model, "unnormalized_log_prob", None)) or callable(getattr(model, "log_prob", None))):
            raise TypeError(
                f"model: expected a model with unnormalized_log_prob or log_prob, got {type(model).__name__}"
            )
        if isinstance(model, ProbabilisticModel):
            batch = model.check_event("batch", batch)
        elif not isinstance(batch, torch.Tensor):
            raise TypeError(f"batch: expected a torch.Tensor, got {type(batch).__name__}")
        event = getattr(model, "event_shape", None)
        event = tuple(batch.shape[1:]) if event is None else tuple(event)
        if batch.dim() != 1 + len(event) or batch.shape[0] == 0 or tuple(batch.shape[1:]) != event:
            raise ValueError(
                f"batch: expected a non-empty batch of the model's events, shape (B, {', '.join(map(str, event))}), "
                f"got shape {tuple(batch.shape)}"
            )
        noise_event = getattr(self.noise, "event_shape", None)
        if noise_event is not None and tuple(noise_event) != event:
            raise ValueError(
                f"noise: expected a distribution over events of shape {event} like the batch, "
                f"got event_shape {tuple(noise_event)}"
            )
        noise = self.noise.sample((self.k * batch.shape[0],)).to(batch.dtype)
        data_terms = nn.functional.logsigmoid(self.logit(model, batch))
        noise_terms = nn.functional.logsigmoid(-self.logit(model, noise))
        self.last_terms = (-data_terms.detach(), -self.k * noise_terms.detach())  # the loss: the sum of their means
        return -(data_terms.mean() + self.k * noise_terms.mean())
