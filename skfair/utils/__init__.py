"""Utilities: the one place that resolves sensitive features, and validation."""

from ._sensitive import (
    GroupEncoding,
    check_n_samples,
    check_two_groups,
    encode_fit_groups,
    encode_groups,
    encode_known_groups,
    resolve_sensitive_features,
    split_sensitive_columns,
)
from ._validation import check_binary_labels, check_sample_weight_1d

__all__ = [
    "GroupEncoding",
    "check_binary_labels",
    "check_n_samples",
    "check_sample_weight_1d",
    "check_two_groups",
    "encode_fit_groups",
    "encode_groups",
    "encode_known_groups",
    "resolve_sensitive_features",
    "split_sensitive_columns",
]
