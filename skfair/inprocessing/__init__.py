"""skfair.inprocessing (being written)."""

__all__ = []
