"""The Terraform functions seen around trust policies, over located values.

Behaviour follows https://developer.hashicorp.com/terraform/language/functions. A function
given an unknown argument returns ``Unknown`` unless the result is still exactly known:
``concat`` keeps known elements beside the unknown ones, ``format`` and ``join`` build a
``Partial``, ``trimprefix``/``replace`` may work on the known text of a ``Partial``. A function
that is not here is evaluated by the caller to ``Unknown("function NAME")``; ``try``, ``can``,
``file``, ``templatefile`` and ``jsondecode`` need the evaluator and live there.
"""

from __future__ import annotations

from oidclint.hcl.calls import Call, Function
from oidclint.hcl.collection_functions import COLLECTION_FUNCTIONS
from oidclint.hcl.string_functions import STRING_FUNCTIONS

FUNCTIONS: dict[str, Function] = {**STRING_FUNCTIONS, **COLLECTION_FUNCTIONS}

__all__ = ["Call", "FUNCTIONS", "Function"]
