"""Datasets bundled with skfair, loaded offline: UCI Adult and German Credit."""

from ._loaders import load_adult, load_german_credit

__all__ = ["load_adult", "load_german_credit"]
