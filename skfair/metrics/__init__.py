"""skfair.metrics (being written)."""

__all__ = []
