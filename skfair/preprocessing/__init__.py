"""skfair.preprocessing (being written)."""

__all__ = []
