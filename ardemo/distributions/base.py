"""The one contract every ardemo model follows, in the habits of ``torch.distributions``.

A model is an :class:`torch.nn.Module` (it holds and trains its parameters) that is also a
distribution over events of shape :attr:`~ProbabilisticModel.event_shape`:

* ``sample(sample_shape)`` takes an int or a tuple and returns ``sample_shape + event_shape``,
  without gradient;
* ``log_prob(x)`` takes ``x`` of shape ``(..., *event_shape)`` and returns one value per event,
  shape ``(...)``;
* ``rsample`` where the model is reparameterised (:attr:`has_rsample`);
* energy-based models (:class:`EnergyBasedModel`) add ``unnormalized_log_prob`` and, where it can be
  computed exactly, ``log_partition()``;
* arguments are validated while ``validate_args`` is on: the library-wide default is set by
  :func:`ardemo.set_validate_args`, a model's own ``validate_args`` overrides it.

Why a base class of our own rather than zuko's pattern (a module whose call returns a
``torch.distributions.Distribution``): the book's models carry state that a per-call distribution
object would rebuild (causal graphs, enumeration caches, persistent chains), some have no exact
normaliser at the sizes they are used (a Boltzmann machine with 784 units), and chapters call
``model.log_prob`` on the module directly. The base class gives the same habits — shapes,
``event_shape``, ``batch_shape``, ``validate_args`` — so an ardemo model serves wherever code expects
``sample(shape)`` and ``log_prob(x)``, e.g. as the noise of noise-contrastive estimation.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Sequence

import torch
import torch.nn as nn

from ..core.validation import check_shape_arg, validate_args_default, validation

SampleShape = int | Sequence[int] | torch.Size


def as_sample_shape(sample_shape: object) -> torch.Size:
    """``sample_shape`` as a :class:`torch.Size`: an int ``n`` is ``(n,)``.

    >>> as_sample_shape(3), as_sample_shape((2, 5)), as_sample_shape(())
    (torch.Size([3]), torch.Size([2, 5]), torch.Size([]))
    """
    return check_shape_arg("sample_shape", sample_shape)


class ProbabilisticModel(nn.Module):
    """Base class of ardemo's models: a trainable module that is a distribution.

    Subclasses define :attr:`event_shape`, ``_sample(n)`` (``n`` events, shape ``(n, *event_shape)``)
    and ``_log_prob(x)`` on a flat batch ``(N, *event_shape)``; they may override ``_check_support``
    to validate values. The public :meth:`sample` and :meth:`log_prob` handle shapes and validation.

    >>> from ardemo import IndependentBernoulli
    >>> model = IndependentBernoulli(torch.zeros(3))
    >>> model.sample((2, 4)).shape, model.event_shape
    (torch.Size([2, 4, 3]), torch.Size([3]))
    >>> model.log_prob(torch.ones(5, 3)).shape
    torch.Size([5])
    """

    has_rsample = False
    batch_shape = torch.Size()
    support = "binary"
    """The kind of entries an event has, ``"binary"`` (0/1 floats), ``"group"`` (integer group elements)
    or ``"real"``, like the ``support`` constraint of ``torch.distributions`` but as a name."""

    def __init__(self, validate_args: bool | None = None) -> None:
        super().__init__()
        if validate_args is not None and not isinstance(validate_args, bool):
            raise TypeError(f"validate_args: expected True, False or None, got {type(validate_args).__name__}")
        self._validate_args = validate_args

    @property
    def event_shape(self) -> torch.Size:
        """The shape of one event (one configuration, one image)."""
        raise NotImplementedError

    @property
    def validate_args(self) -> bool:
        """Whether this model checks its inputs (its own setting, else the library's default)."""
        return validate_args_default() if self._validate_args is None else self._validate_args

    @validate_args.setter
    def validate_args(self, value: bool | None) -> None:
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"validate_args: expected True, False or None, got {type(value).__name__}")
        self._validate_args = value

    def own_validation(self) -> contextlib.AbstractContextManager[None]:
        """A ``with`` block in which the library-wide switch is this model's :attr:`validate_args`, so that
        its parts (inner models, group checks) follow the model's own setting; a no-op without one."""
        return contextlib.nullcontext() if self._validate_args is None else validation(self._validate_args)

    def _reference(self) -> torch.Tensor:
        """A tensor with the model's device and floating dtype (its first parameter or buffer)."""
        for tensor in (*self.parameters(), *self.buffers()):
            if tensor.is_floating_point():
                return tensor
        return torch.zeros(())

    @property
    def dtype(self) -> torch.dtype:
        """The floating dtype of the model's parameters."""
        return self._reference().dtype

    @property
    def device(self) -> torch.device:
        """The device of the model's parameters."""
        return self._reference().device

    # --- validation ----------------------------------------------------------------------------
    def check_event(self, name: str, x: object) -> torch.Tensor:
        """Validate events ``x`` of shape ``(..., *event_shape)``; returns ``x`` (cast to the model's
        dtype when both are floating point). Values are checked only while :attr:`validate_args` is on."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
        if x.is_complex():
            raise TypeError(f"{name}: expected a real tensor, got dtype {x.dtype}")
        event = tuple(self.event_shape)
        k = len(event)
        if x.dim() < k or tuple(x.shape[x.dim() - k :]) != event:
            expected = ", ".join(["..."] + [str(s) for s in event])
            raise ValueError(f"{name}: expected shape ({expected}), got {tuple(x.shape)}")
        if x.is_floating_point() and x.dtype != self.dtype:
            x = x.to(self.dtype)
        if self.validate_args:
            with validation(True):
                self._check_support(name, x)
        return x

    def _check_support(self, name: str, x: torch.Tensor) -> None:
        """Check the values of ``x`` (override: binary entries, group elements, finite reals)."""

    # --- the contract --------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, sample_shape: SampleShape = torch.Size()) -> torch.Tensor:
        """Draw events: an int ``n`` or a tuple ``sample_shape`` gives shape ``sample_shape + event_shape``;
        no gradient flows (see :meth:`rsample` where the model has one)."""
        shape = as_sample_shape(sample_shape)
        n = math.prod(shape)
        with self.own_validation():
            if n == 0:
                return self._sample(1)[:0].reshape(*shape, *self.event_shape)
            return self._sample(n).reshape(*shape, *self.event_shape)

    def _sample(self, n: int) -> torch.Tensor:
        raise NotImplementedError

    def rsample(self, sample_shape: SampleShape = torch.Size(), **kwargs) -> torch.Tensor:
        """Reparameterised samples (only where ``has_rsample``)."""
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler (has_rsample is False)")

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln p(x)` of every event in ``x`` (shape ``(..., *event_shape)``), shape ``(...)``."""
        with self.own_validation():
            x = self.check_event("x", x)
            return self._flat(self._log_prob, x)

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def _flat(self, fn, x: torch.Tensor) -> torch.Tensor:
        """Apply ``fn`` (one value per event of a flat batch) over any leading batch dimensions."""
        batch = x.shape[: x.dim() - len(self.event_shape)]
        if x.numel() == 0:  # an empty batch: nothing to compute (some networks cannot reshape zero rows)
            return torch.zeros(batch, dtype=self.dtype, device=x.device)
        out = fn(x.reshape(-1, *self.event_shape))
        return out.reshape(batch)


class EnergyBasedModel(ProbabilisticModel):
    """A model :math:`p(x) = e^{-E(x)}/Z`: ``unnormalized_log_prob`` is :math:`-E(x)` (or the free energy's
    negative when latent units are summed out), ``log_partition()`` is :math:`\\ln Z` where it is exact.

    >>> from ardemo import BoltzmannMachine
    >>> m = BoltzmannMachine(3)
    >>> x = m.sample(4)
    >>> torch.allclose(m.log_prob(x), m.unnormalized_log_prob(x) - m.log_partition().float())
    True
    """

    def unnormalized_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """:math:`\\ln p(x) + \\ln Z` for every event of ``x``."""
        with self.own_validation():
            x = self.check_event("x", x)
            return self._flat(self._unnormalized_log_prob, x)

    def _unnormalized_log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def log_partition(self) -> torch.Tensor:
        """Exact :math:`\\ln Z` (raises where the model is too large to sum exactly), in float64 for every
        model (a sum over many states needs it; ``log_prob`` returns the model's dtype)."""
        raise NotImplementedError

    def _parameter_version(self) -> tuple:
        """What identifies the current parameter values: each tensor's identity, storage and in-place
        version counter (an optimiser step, ``load_state_dict`` or ``.to()`` changes it)."""
        return tuple(
            (id(t), t.data_ptr(), t._version, t.dtype, t.device) for t in (*self.parameters(), *self.buffers())
        )

    def _cached(self, key: object, compute) -> torch.Tensor:
        """``compute()`` (an exact sum such as :math:`\\ln Z`), remembered per ``key`` until a parameter
        changes. A call that records a gradient computes afresh: backpropagation needs the sum's graph."""
        if torch.is_grad_enabled() and any(p.requires_grad for p in self.parameters()):
            return compute()
        cache = self.__dict__.setdefault("_exact_cache", {})
        version = self._parameter_version()
        hit = cache.get(key)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = compute()
        cache[key] = (version, value)
        return value

    def _log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return self._unnormalized_log_prob(x) - self.log_partition().to(x.dtype)
