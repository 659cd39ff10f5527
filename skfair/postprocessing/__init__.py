"""skfair.postprocessing (being written)."""

__all__ = []
