"""Noise-contrastive estimation (NCE) and negative sampling for unnormalised models.

The model's log density is :math:`\\ln p_m(x) = -E(x) + c` with :math:`c` a learned parameter
(at the optimum :math:`c = -\\ln Z`). With :math:`k` noise samples per data point, a logistic
classifier with logit :math:`G(x) = \\ln p_m(x) - \\ln k\\,p_n(x)` is trained to tell data from noise:

.. math::

    J = -\\mathbb{E}_{p_\\text{data}}\\ln\\sigma(G(x)) - k\\,\\mathbb{E}_{p_n}\\ln\\sigma(-G(x)),

minimised where :math:`p_m = p_\\text{data}` *if the model family contains* :math:`p_\\text{data}`; then
:math:`c = -\\ln Z` there. Otherwise the optimum is the best classifier in the family and :math:`c + \\ln Z`
need not be 0; as :math:`k \\to \\infty` the gradient of :math:`J/k`'s model part tends to that of the
log-likelihood, so NCE approaches maximum likelihood and self-normalisation (Gutmann & Hyvärinen 2012).
The estimator is consistent (as the data grow), not unbiased.

:math:`c` is either a parameter moved by the optimiser with the model (``normaliser="learned"``), or
profiled out (``normaliser="profiled"``): at every call it is set to the minimiser of :math:`J` on that
batch and its noise, a one-dimensional convex problem. By the envelope theorem the model's gradient
at that :math:`c` is the gradient of :math:`\\min_c J`, so :math:`c` can follow offsets of thousands of nats
that an optimiser step of size ``lr`` could not. *Negative sampling* uses samples of another kind
as noise and sets :math:`p_n \\equiv 1` (:class:`EmpiricalNegatives`); then the optimum is
:math:`p_m = p_\\text{data}/p_\\text{neg}`, a density ratio, not a density.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..core.validation import check_int
from ..distributions.base import EnergyBasedModel, ProbabilisticModel

NORMALISERS = ("learned", "profiled")


def optimal_normaliser(
    data_logits: torch.Tensor, noise_logits: torch.Tensor, k: int, iterations: int = 80
) -> torch.Tensor:
    """The :math:`c` that minimises :math:`J(c) = -\\overline{\\ln\\sigma(a + c)} - k\\,\\overline{\\ln\\sigma(-b - c)}`
    for the logits without :math:`c`, :math:`a` (data rows) and :math:`b` (noise rows).

    :math:`J'(c) = -\\overline{\\sigma(-a - c)} + k\\,\\overline{\\sigma(b + c)}` increases from :math:`-1` to :math:`k`,
    so its root is found by bisection on a bracket where every logit is beyond ±40 at the ends (in
    float64, ``iterations`` halvings; no host reads). A 0-dim tensor in the logits' dtype.

    >>> a, b = torch.zeros(4), torch.zeros(8)  # equal logits: sigma(c) = 1/(1 + k), c = -ln k
    >>> round(float(optimal_normaliser(a, b, k=2)), 6) == round(-math.log(2), 6)
    True
    """
    a, b = data_logits.detach().double().flatten(), noise_logits.detach().double().flatten()
    both = torch.cat([a, b])
    low, high = -both.max() - 40.0, -both.min() + 40.0
    for _ in range(iterations):
        mid = (low + high) / 2
        slope = k * torch.sigmoid(b + mid).mean() - torch.sigmoid(-a - mid).mean()
        above = slope > 0
        high = torch.where(above, mid, high)
        low = torch.where(above, low, mid)
    return ((low + high) / 2).to(data_logits.dtype)


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

        normaliser: ``"learned"`` (:math:`c` a parameter of this module) or ``"profiled"`` (:math:`c` a
            buffer set to the batch's optimum at every call; see the module docstring).

    Attributes:
        c: the log normaliser, :math:`\\ln p_m = -E + c`. When learned it is a parameter of this
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

    def __init__(self, noise: object, k: int = 1, normaliser: str = "learned") -> None:
        super().__init__()
        if not (callable(getattr(noise, "sample", None)) and callable(getattr(noise, "log_prob", None))):
            raise TypeError(f"noise: expected an object with sample(shape) and log_prob(x), got {type(noise).__name__}")
        if isinstance(noise, nn.Module):  # a model as noise is fixed: not one of this module's parameters
            object.__setattr__(self, "noise", noise)
        else:
            self.noise = noise
        self.k = check_int("k", k, minimum=1)
        if normaliser not in NORMALISERS:
            raise ValueError(f"normaliser: expected one of {NORMALISERS}, got {normaliser!r}")
        self.normaliser = normaliser
        if normaliser == "learned":
            self.c = nn.Parameter(torch.zeros(()))
        else:
            self.register_buffer("c", torch.zeros(()))
        self.last_terms: tuple[torch.Tensor, torch.Tensor] | None = None

    def _apply(self, fn, *args, **kwargs):  # .to(), .double(), .cuda(): move a model noise along
        super()._apply(fn, *args, **kwargs)
        if isinstance(self.noise, nn.Module):
            self.noise._apply(fn, *args, **kwargs)
        return self

    def extra_repr(self) -> str:
        profiled = ", normaliser='profiled'" if self.normaliser == "profiled" else ""
        return f"noise={self.noise!r}, k={self.k}{profiled}"

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
        return self._combine(score, self._noise_log_prob(x, score.dtype))

    def _combine(self, score: torch.Tensor, log_noise: torch.Tensor) -> torch.Tensor:
        """:math:`G` from :math:`-E(x)` and :math:`\\ln p_n(x)`. The order of the additions is part of the
        result files' record (a replay compares them exactly): a learned :math:`c` enters as
        ``score + c - ln k - ln p_n``; a profiled one is added last, to the logit it was fitted to."""
        if self.normaliser == "profiled":
            return (score - math.log(self.k) - log_noise) + self.c
        return score + self.c - math.log(self.k) - log_noise

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
        terms = []
        for x in (batch, noise):
            score = self._score(model, x)
            terms.append((score, self._noise_log_prob(x, score.dtype)))
        if self.normaliser == "profiled":
            with torch.no_grad():
                without_c = [score - math.log(self.k) - log_noise for score, log_noise in terms]
                self.c.copy_(optimal_normaliser(*without_c, self.k))
        data_terms = nn.functional.logsigmoid(self._combine(*terms[0]))
        noise_terms = nn.functional.logsigmoid(-self._combine(*terms[1]))
        self.last_terms = (-data_terms.detach(), -self.k * noise_terms.detach())  # the loss: the sum of their means
        return -(data_terms.mean() + self.k * noise_terms.mean())
