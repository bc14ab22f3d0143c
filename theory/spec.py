"""One configuration object for every kernel entry point.

:class:`KernelSpec` names the options that :func:`dagnngp.numerics.nngp`,
:func:`dagnngp.theory.derive`, :func:`dagnngp.numerics.sampling` and
:func:`dagnngp.numerics.motif_sweep` share: the model, the activation and its
parameters, the weight-variance scale ``c_sigma``, the bias standard
deviation ``sigma_b`` and the edge convention ``edge``.  Pass one as ``spec=``
instead of repeating the keywords.

>>> spec = KernelSpec(activation="leaky", activation_params={"slope": 0.1}, c_sigma=2 / 1.01)
>>> spec.model, spec.activation, spec.params
('exact', 'leaky', {'slope': 0.1})
>>> spec.replace(model="paper").model
'paper'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["KernelSpec", "resolve_spec"]


@dataclass(frozen=True)
class KernelSpec:
    """The options that define a motif's kernel (besides the motif and the inputs).

    ``activation_params`` is stored as a sorted tuple of ``(name, value)`` pairs so
    that a spec is hashable; :attr:`params` gives it back as a dict.
    """

    model: str = "exact"
    activation: str = "relu"
    activation_params: tuple[tuple[str, Any], ...] | Mapping[str, Any] = field(default=())
    c_sigma: float = 2.0
    sigma_b: float = 0.0
    #: the edge convention: ``"post"`` (activation after the weights, the paper's) or ``"pre"``
    edge: str = "post"

    def __post_init__(self) -> None:
        params = self.activation_params
        if isinstance(params, Mapping):
            params = tuple(sorted(params.items()))
        object.__setattr__(self, "activation_params", tuple(params or ()))

    @property
    def params(self) -> dict[str, Any]:
        """The activation's parameters as a dict."""
        return dict(self.activation_params)

    def replace(self, **changes: Any) -> KernelSpec:
        """A copy with some options changed."""
        return replace(self, **changes)


_NAMES = tuple(f.name for f in fields(KernelSpec))


def resolve_spec(spec: KernelSpec | None, **given: Any) -> KernelSpec:
    """Merge a ``spec=`` argument with keyword options passed beside it.

    Keywords left at ``None`` take the spec's value (or the default); a keyword
    given together with a spec that sets it differently is an error, so no
    option is silently ignored.

    >>> resolve_spec(None, model="paper", c_sigma=None).model
    'paper'
    >>> resolve_spec(KernelSpec(model="paper"), model="exact")
    Traceback (most recent call last):
    ...
    ValueError: model='exact' conflicts with spec.model='paper'; give the option once
    """
    if spec is not None and not isinstance(spec, KernelSpec):
        raise ValueError(f"spec must be a KernelSpec, not {type(spec).__name__}")
    base = spec or KernelSpec()
    changes = {}
    for name, value in given.items():
        if name not in _NAMES:
            raise TypeError(f"resolve_spec() got an unexpected option {name!r}")
        if value is None:
            continue
        if name == "activation_params" and isinstance(value, Mapping):
            value = tuple(sorted(value.items()))
        if spec is not None and value != getattr(spec, name):
            raise ValueError(f"{name}={value!r} conflicts with spec.{name}={getattr(spec, name)!r}; "
                             "give the option once")
        changes[name] = value
    return base.replace(**changes) if changes else base
