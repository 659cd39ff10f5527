"""skfair.datasets (being written)."""

__all__ = []
