"""ks: a ledger of cooperation agreements between Indonesian regional governments."""

__version__ = "0.1.0"
