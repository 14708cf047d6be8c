"""statesync: GitOps for Facebook Page posts."""

__version__ = "0.1.0"
