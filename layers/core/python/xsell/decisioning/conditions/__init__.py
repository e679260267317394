"""Campaign targeting: a small JSON condition language (docs/targeting.md).

:mod:`~xsell.decisioning.conditions.parsing` checks a document (:func:`validate`, when a
campaign is saved); :mod:`~xsell.decisioning.conditions.compiling` builds its predicate once
per config snapshot (:func:`compile_targeting`).
"""

from xsell.decisioning.conditions.compiling import compile_targeting
from xsell.decisioning.conditions.parsing import validate

__all__ = ["compile_targeting", "validate"]
