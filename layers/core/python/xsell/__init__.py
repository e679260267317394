"""xsell: cross-referral between the brands of a company group.

The domain package. It is shipped to AWS as the core Lambda layer and imported
directly by the local runtime and the tests. It never imports from
``functions/`` or ``infra/``.
"""

__version__ = "0.1.0"
