"""oidclint: static analysis of OIDC web identity federation in infrastructure code."""

__version__ = "0.1.0"
