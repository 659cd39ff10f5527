"""Checks at the start of ``fit`` of the binary classifiers that need the groups.

Shared by RejectOptionClassifier, CalibratedEqualizedOdds and
AdversarialDebiasing.
"""

from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import validate_data

from ._sensitive import (
    check_n_samples,
    encode_fit_groups,
    format_label,
    resolve_sensitive_features,
)
from ._sklearn_compat import _num_samples
from ._small_cells import warn_small_cells
from ._validation import (
    _check_labels_present,
    check_binary_labels,
    check_sample_weight_1d,
)


def check_binary_target(y, n_samples, owner, supported="binary classification is"):
    """``y`` as 0/1 and its two classes; a ValueError unless binary with both.

    ``owner`` names the estimator in the message for a single class;
    ``supported`` says which targets it takes (subject and verb of the
    message for another type of target).
    """
    _check_labels_present(y)  # before type_of_target (see there)
    y_type = type_of_target(y, input_name="y", raise_unknown=True)
    if y_type != "binary":
        raise ValueError(
            f"Only {supported} supported. The type of the target is {y_type}."
        )
    y01, classes = check_binary_labels(y)
    check_n_samples(y01, n_samples, name="y")
    if classes.size != 2:
        raise ValueError(
            f"y holds one class only ({classes.tolist()}); {owner} needs both classes."
        )
    return y01, classes


def check_class_weights(estimator, y01, sample_weight):
    """Validated weights; both classes and their features must carry weight."""
    n_features = getattr(estimator, "n_features_in_", 1)
    if n_features == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape=({y01.size}, 0)) while a "
            "minimum of 1 is required."
        )
    weights = check_sample_weight_1d(sample_weight, y01.size)
    if weights is None:
        return None
    if not weights.sum() > 0:
        raise ValueError("sample_weight is zero for every row; some weight is needed.")
    for label, value in zip(estimator.classes_, (0, 1), strict=True):
        if not weights[y01 == value].sum() > 0:
            raise ValueError(
                f"class {format_label(label)} of y has zero total sample_weight; "
                f"{type(estimator).__name__} needs both classes with positive "
                "weight."
            )
    return weights


def prepare_binary_fit(estimator, X, y, sensitive_features, sample_weight):
    """The start of ``fit`` of a binary classifier that needs the groups.

    Applies the sensitive-feature rule, records the input's columns
    (``n_features_in_``), checks ``y`` (binary) and the weights, and encodes
    the groups. Sets ``estimator.classes_`` and ``estimator.groups_``.

    Returns
    -------
    X_model : array-like
        ``X`` without the ``sensitive_cols`` columns.
    y01 : ndarray of shape (n_samples,)
        1 for the positive class (``classes_[1]``), else 0.
    weights : ndarray of shape (n_samples,) or None
        The validated ``sample_weight``.
    encoding : GroupEncoding
        The groups of the rows.
    """
    X_model, raw_groups = resolve_sensitive_features(
        X,
        sensitive_cols=estimator.sensitive_cols,
        sensitive_features=sensitive_features,
        method="fit",
    )
    validate_data(estimator, X, skip_check_array=True, reset=True)
    y01, estimator.classes_ = check_binary_target(
        y, _num_samples(X), type(estimator).__name__
    )
    weights = check_class_weights(estimator, y01, sample_weight)
    encoding = encode_fit_groups(raw_groups, type(estimator).__name__)
    estimator.groups_ = encoding.groups
    warn_small_cells(
        encoding.codes,
        encoding.groups,
        y01,
        estimator.classes_,
        owner=type(estimator).__name__,
    )
    return X_model, y01, weights, encoding
