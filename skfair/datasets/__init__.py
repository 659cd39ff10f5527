"""Datasets bundled with skfair, loaded offline: UCI Adult, German Credit and a
Medical Expenditure Panel Survey extract (health insurance)."""

from ._loaders import load_adult, load_german_credit, load_meps_insurance

__all__ = ["load_adult", "load_german_credit", "load_meps_insurance"]
