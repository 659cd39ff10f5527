"""The warnings and errors that skfair raises for its own reasons.

``UndefinedRateWarning`` subclasses scikit-learn's ``UndefinedMetricWarning``,
so that a filter on the latter also catches it. Importing scikit-learn costs
about 2 s, which the metrics (and the command-line audit built on them) do
not otherwise pay, so the class is made on first use (attribute access or
the first undefined rate), not when skfair is imported.
"""

__all__ = [  # noqa: F822 (UndefinedRateWarning is made on first use)
    "CertificationError",
    "CertificationWarning",
    "NoCandidateWithinGapWarning",
    "SmallCellWarning",
    "UndefinedRateWarning",
]


class CertificationWarning(UserWarning):
    """A fairness bound could not be certified at the requested confidence.

    Issued by :class:`skfair.model_selection.HighConfidenceFairClassifier`
    when no candidate passes the safety test and it falls back to a constant
    prediction; the message names the tightest bound the data could certify.
    """


class CertificationError(ValueError):
    """A fairness bound could not be certified (``fallback="raise"``)."""


class NoCandidateWithinGapWarning(UserWarning):
    """No candidate of a search is within the requested fairness gap.

    Issued by the ``refit`` rule of
    :func:`skfair.model_selection.most_accurate_within` when no candidate's
    mean gap is within ``max_gap``; the search then refits the fairest
    candidate, and the message names it with its gap and score.
    """


class SmallCellWarning(UserWarning):
    """A (group, label) cell of the training rows is too small to learn from.

    Issued by the fit of every skfair mitigator when a group, or a group's
    rows of one label (the cells a fairness constraint compares), has fewer
    than 30 rows: its rates move by more than 1/30 with a single row, so a
    gap that involves it is mostly sampling noise, on the training rows and
    on new ones. The message names the cells and their sizes; merging the
    group with a related one, or leaving it out of the constraint, is the
    usual remedy (see the user guide's "Small groups").
    """


_LAZY_CLASSES = {}


def _undefined_rate_warning():
    if "UndefinedRateWarning" not in _LAZY_CLASSES:
        from sklearn.exceptions import UndefinedMetricWarning

        class UndefinedRateWarning(UndefinedMetricWarning):
            """A group's rate has an empty denominator (no row in its cell).

            The message names the group and the empty (group, label) cell;
            ``zero_division`` says what value the metric uses instead.
            """

        UndefinedRateWarning.__module__ = __name__
        UndefinedRateWarning.__qualname__ = "UndefinedRateWarning"
        _LAZY_CLASSES["UndefinedRateWarning"] = UndefinedRateWarning
    return _LAZY_CLASSES["UndefinedRateWarning"]


def __getattr__(name):
    if name == "UndefinedRateWarning":
        return _undefined_rate_warning()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return __all__
