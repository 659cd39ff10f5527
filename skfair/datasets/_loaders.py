"""Loaders for the datasets bundled with skfair (offline, checksum-verified).

Adult and German Credit come from the UCI Machine Learning Repository under
CC BY 4.0; the MEPS health-insurance extract is a work of the US government
(public domain). ``skfair/datasets/data/README.md`` holds the citations and
license notes.
"""

import csv
import gzip
import hashlib
import io
import json
import textwrap
from functools import cache
from importlib import resources

import numpy as np
from sklearn.utils import Bunch

from ..utils._sensitive import _pandas_or_none

_DATA_PACKAGE = "skfair.datasets"

# SHA-256 of the bundled files: a damaged or edited copy fails loudly instead
# of silently changing every figure computed from it.
_SHA256 = {
    "adult.data.gz": "0929e9d9c7845175493be1a8fd071b8e746a6b9f66d8bf359daabaac44713023",
    "adult.test.gz": "fcd5bcc9b18515fd2fd314e2bbd8444263ad0f2a0e638c060c34b0151555aaa2",
    "german.data.gz": (
        "fb4b9063096409b19d03ae007ce2f195232a04f8ac4665112f78f312f962536a"
    ),
    "german_values.json": (
        "73a48f120cdb8019fb9f0ad84078ef1ba109f1100bbcc6cbcf925d60e6adcd4e"
    ),
    "meps_health_insurance.csv.gz": (
        "683a93ec7da417b27321f8d92d609e7bfda555092f35081ef5be6306386bab33"
    ),
}

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education-num",
    "marital-status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "native-country",
]
ADULT_NUMERIC = [
    "age",
    "fnlwgt",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
]

# German Credit's attributes in file order, with the key of german_values.json
# that decodes each categorical one (None: numeric).
_GERMAN_ATTRIBUTES = [
    ("status", "status"),
    ("duration", None),
    ("credit_history", "credit_history"),
    ("purpose", "purpose"),
    ("credit_amount", None),
    ("savings", "savings"),
    ("employment", "present_employment"),
    ("installment_rate", None),
    ("personal_status_sex", "status_sex"),
    ("other_debtors", "other_debtors"),
    ("residence_since", None),
    ("property", "property"),
    ("age", None),
    ("other_installment_plans", "installment_plans"),
    ("housing", "housing"),
    ("existing_credits", None),
    ("job", "job"),
    ("people_liable", None),
    ("telephone", "telephone"),
    ("foreign_worker", "foreign_worker"),
]
_GERMAN_FEMALE_CODES = {"A92", "A95"}
_GERMAN_AGE_THRESHOLD = 25

# The MEPS extract's header, in file order; insurance is the target.
MEPS_COLUMNS = [
    "health",
    "age",
    "limit",
    "gender",
    "insurance",
    "married",
    "selfemp",
    "family",
    "region",
    "ethnicity",
    "education",
]
MEPS_NUMERIC = ["age", "family"]
_MEPS_TARGET = "insurance"


@cache
def _read_verified(filename):
    """Bytes of a bundled file, after checking its SHA-256."""
    raw = resources.files(_DATA_PACKAGE).joinpath("data", filename).read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != _SHA256[filename]:
        raise OSError(
            f"The bundled file {filename} is damaged: its SHA-256 is {digest}, "
            f"expected {_SHA256[filename]}. Reinstall skfair."
        )
    return raw


def _read_gzip_text(filename):
    return gzip.decompress(_read_verified(filename)).decode("utf-8")


def _parse_adult(filename):
    """Rows of one Adult file as (features, labels) lists of strings."""
    rows, labels = [], []
    for record in csv.reader(io.StringIO(_read_gzip_text(filename))):
        if len(record) != len(ADULT_COLUMNS) + 1:
            continue  # blank lines and the test file's leading comment
        fields = [field.strip() for field in record]
        rows.append(fields[:-1])
        labels.append(fields[-1].rstrip("."))
    return rows, labels


def _adult_columns(rows):
    """Column arrays: numeric columns as float64, others as object with NaN for '?'."""
    table = np.array(rows, dtype=object)
    columns = {}
    for j, name in enumerate(ADULT_COLUMNS):
        values = table[:, j]
        if name in ADULT_NUMERIC:
            columns[name] = values.astype(np.float64)
        else:
            values = values.copy()
            values[values == "?"] = np.nan
            columns[name] = values
    return columns


def _frame_or_array(columns, as_frame):
    names = list(columns)
    if as_frame:
        pd = _import_pandas()
        frame = pd.DataFrame(columns, columns=names)
        categorical = [n for n, v in columns.items() if v.dtype == object]
        frame[categorical] = frame[categorical].astype("category")
        return frame, names
    data = np.empty((len(next(iter(columns.values()))), len(names)), dtype=object)
    for j, name in enumerate(names):
        data[:, j] = columns[name]
    return data, names


def _import_pandas():
    try:
        import pandas as pd
    except ImportError as exc:
        raise ImportError(
            "as_frame=True needs pandas (pip install pandas); pass as_frame=False "
            "for numpy arrays."
        ) from exc
    return pd


def _resolve_as_frame(as_frame):
    """``as_frame=None`` is True exactly when pandas can be imported.

    pandas is an optional dependency, so the loaders must work after a plain
    install too; they return pandas objects whenever they can.
    """
    if as_frame not in (None, True, False):
        raise ValueError(f"as_frame must be None, True or False; got {as_frame!r}.")
    if as_frame is not None:
        return as_frame
    return _pandas_or_none() is not None


def _check_split(split):
    if split not in ("train", "test", "all"):
        raise ValueError(f"split must be 'train', 'test' or 'all'; got {split!r}.")


def _finish(data, target, names, *, as_frame, return_X_y, **info):
    if as_frame:
        pd = _import_pandas()
        target = pd.Series(target, name=info["target_name"], index=data.index)
        frame = pd.concat([data, target], axis=1)
    else:
        frame = None
    if return_X_y:
        return data, target
    return Bunch(data=data, target=target, frame=frame, feature_names=names, **info)


# The parameters and returns of the loaders of mixed-type tables, written
# once and put where their docstrings say "<shared loader parameters>".
_SHARED_LOADER_DOC = """\
as_frame : bool or None, default=None
    True: return a pandas DataFrame (categorical columns as ``category``
    dtype) and a Series; False: an object ndarray and an int ndarray.
    None: a DataFrame when pandas can be imported (pandas is optional),
    else the ndarrays.
return_X_y : bool, default=False
    Return ``(data, target)`` instead of a Bunch.

Returns
-------
data : :class:`~sklearn.utils.Bunch`
    ``data``, ``target``, ``frame`` (data and target, or None),
    ``feature_names``, ``target_names``, ``sensitive_feature_names``,
    ``DESCR``.
(data, target) : tuple if ``return_X_y`` is True.
"""


def _shared_loader_doc(loader):
    """Put the shared parameter and return text into ``loader``'s docstring."""
    loader.__doc__ = loader.__doc__.replace(
        "    <shared loader parameters>\n",
        textwrap.indent(_SHARED_LOADER_DOC, "    "),
    )
    return loader


@_shared_loader_doc
def load_adult(*, split="train", as_frame=None, return_X_y=False):
    """Load UCI Adult (Census Income), bundled with skfair.

    ======================  ================================
    Rows                    32,561 train, 16,281 test
    Features                14 (6 numeric, 8 categorical)
    Target                  1 if income > 50K, else 0
    Sensitive columns       ``sex``, ``race``
    ======================  ================================

    Missing values (``?`` in the source) are NaN in the categorical columns
    workclass, occupation and native-country. The sensitive columns stay
    columns of ``data``; name them with ``sensitive_cols`` (see the
    sensitive-feature rule in the user guide).

    Parameters
    ----------
    split : {"train", "test", "all"}, default="train"
        The original training file, the original test file, or both stacked.
    <shared loader parameters>

    References
    ----------
    Becker, B. & Kohavi, R. (1996). Adult. UCI Machine Learning Repository.
    CC BY 4.0.

    Examples
    --------
    >>> from skfair.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.data.shape, int(adult.target.sum())
    ((32561, 14), 7841)
    >>> adult.sensitive_feature_names
    ['sex', 'race']
    """
    _check_split(split)
    as_frame = _resolve_as_frame(as_frame)
    files = {
        "train": ["adult.data.gz"],
        "test": ["adult.test.gz"],
        "all": ["adult.data.gz", "adult.test.gz"],
    }[split]
    rows, labels = [], []
    for filename in files:
        file_rows, file_labels = _parse_adult(filename)
        rows += file_rows
        labels += file_labels
    target = (np.array(labels) == ">50K").astype(np.int64)
    data, names = _frame_or_array(_adult_columns(rows), as_frame)
    return _finish(
        data,
        target,
        names,
        as_frame=as_frame,
        return_X_y=return_X_y,
        target_name="income",
        target_names=["<=50K", ">50K"],
        sensitive_feature_names=["sex", "race"],
        DESCR=_describe("adult.names"),
    )


def _describe(filename):
    return resources.files(_DATA_PACKAGE).joinpath("data", filename).read_text()


def _german_columns():
    decode = json.loads(_read_verified("german_values.json"))
    table = np.array(
        [line.split() for line in _read_gzip_text("german.data.gz").splitlines()],
        dtype=object,
    )
    columns = {}
    for j, (name, key) in enumerate(_GERMAN_ATTRIBUTES):
        values = table[:, j]
        if key is None:
            columns[name] = values.astype(np.float64)
        else:
            mapping = decode[key]
            columns[name] = np.array(
                [str(mapping[v]).strip() for v in values], dtype=object
            )
    codes = table[:, [n for n, _ in _GERMAN_ATTRIBUTES].index("personal_status_sex")]
    is_female = np.isin(codes, list(_GERMAN_FEMALE_CODES))
    columns["sex"] = np.where(is_female, "female", "male").astype(object)
    older = columns["age"] > _GERMAN_AGE_THRESHOLD
    columns["age_group"] = np.where(older, ">25", "<=25").astype(object)
    target = (table[:, -1] == "1").astype(np.int64)
    return columns, target


def load_german_credit(*, as_frame=None, return_X_y=False):
    """Load Statlog (German Credit Data), bundled with skfair.

    ======================  ================================
    Rows                    1,000
    Features                20 original attributes + ``sex`` and ``age_group``
    Target                  1 for good credit, 0 for bad
    Sensitive columns       ``sex``, ``age_group``
    ======================  ================================

    Categorical codes (A11, A12, ...) are decoded to their meaning. Two columns
    are derived for fairness work: ``sex`` ("female" for codes A92 and A95 of
    personal_status_sex, else "male") and ``age_group`` (">25" or "<=25", the
    usual split of the age attribute). ``personal_status_sex`` and ``age``
    remain, so drop them from the features if the model must not see them.

    Parameters
    ----------
    as_frame : bool or None, default=None
        True: return a pandas DataFrame and Series; False: ndarrays. None: a
        DataFrame when pandas can be imported (pandas is optional), else the
        ndarrays.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``, ``target``, ``frame``, ``feature_names``, ``target_names``,
        ``sensitive_feature_names``, ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True.

    References
    ----------
    Hofmann, H. (1994). Statlog (German Credit Data). UCI Machine Learning
    Repository. CC BY 4.0.

    Examples
    --------
    >>> from skfair.datasets import load_german_credit
    >>> german = load_german_credit()
    >>> german.data.shape, int(german.target.sum())
    ((1000, 22), 700)
    >>> german.data["sex"].value_counts().to_dict()
    {'male': 690, 'female': 310}
    """
    as_frame = _resolve_as_frame(as_frame)
    columns, target = _german_columns()
    data, names = _frame_or_array(columns, as_frame)
    return _finish(
        data,
        target,
        names,
        as_frame=as_frame,
        return_X_y=return_X_y,
        target_name="credit",
        target_names=["bad", "good"],
        sensitive_feature_names=["sex", "age_group"],
        DESCR=_describe("README.md"),
    )


def _meps_columns():
    """Feature columns (numeric as float64, others object) and the 0/1 target."""
    reader = csv.reader(io.StringIO(_read_gzip_text("meps_health_insurance.csv.gz")))
    header = next(reader)
    if header != MEPS_COLUMNS:
        raise OSError(
            f"The bundled MEPS file has the columns {header}, expected "
            f"{MEPS_COLUMNS}. Reinstall skfair."
        )
    table = np.array(list(reader), dtype=object)
    columns = {}
    for j, name in enumerate(MEPS_COLUMNS):
        values = table[:, j]
        if name == _MEPS_TARGET:
            target = (values == "yes").astype(np.int64)
        elif name in MEPS_NUMERIC:
            columns[name] = values.astype(np.float64)
        else:
            columns[name] = values.copy()
    return columns, target


@_shared_loader_doc
def load_meps_insurance(*, as_frame=None, return_X_y=False):
    """Load a Medical Expenditure Panel Survey (1996) extract, bundled with skfair.

    ======================  ================================================
    Rows                    8,802 working-age adults (18 to 62)
    Features                10 (2 numeric, 8 categorical)
    Target                  1 if the person has health insurance, else 0
    Sensitive columns       ``ethnicity`` (3 groups), ``gender``
    ======================  ================================================

    The columns are ``health`` (self-reported healthy: "yes"/"no"), ``age``,
    ``limit`` (any limitation: "yes"/"no"), ``gender`` ("male"/"female"),
    ``married``, ``selfemp`` (self-employed), ``family`` (family size),
    ``region`` ("northeast", "midwest", "south", "west"), ``ethnicity``
    ("cauc" 7,354 rows, "afam" 1,083, "other" 365) and ``education`` ("none",
    "ged", "highschool", "bachelor", "master", "phd", "other"). 80.1% of the
    rows are insured (cauc .809, afam .761, other .753). The file has no
    missing values, so no row or value is dropped or imputed.

    The "other" group is small: about 110 rows in a 30% test set, 27 of them
    uninsured, so its rates, and any gap that involves it, are noisy; report
    them with intervals (:class:`~skfair.metrics.MetricFrame`,
    :func:`~skfair.metrics.gap_upper_bound`). The sensitive columns stay
    columns of ``data``; name them with ``sensitive_cols`` (see the
    sensitive-feature rule in the user guide).

    Parameters
    ----------
    <shared loader parameters>

    References
    ----------
    Agency for Healthcare Research and Quality (1996). Medical Expenditure
    Panel Survey. US government work, public domain. The extract is the one
    distributed as ``HealthInsurance`` with Kleiber, C. & Zeileis, A. (2008),
    Applied Econometrics with R, Springer, from the online complements of
    Stock, J. H. & Watson, M. W. (2007), Introduction to Econometrics, 2nd ed.

    Examples
    --------
    >>> from skfair.datasets import load_meps_insurance
    >>> meps = load_meps_insurance()
    >>> meps.data.shape, int(meps.target.sum())
    ((8802, 10), 7052)
    >>> meps.sensitive_feature_names
    ['ethnicity', 'gender']
    >>> meps.data["ethnicity"].value_counts().to_dict()
    {'cauc': 7354, 'afam': 1083, 'other': 365}
    """
    as_frame = _resolve_as_frame(as_frame)
    columns, target = _meps_columns()
    data, names = _frame_or_array(columns, as_frame)
    return _finish(
        data,
        target,
        names,
        as_frame=as_frame,
        return_X_y=return_X_y,
        target_name=_MEPS_TARGET,
        target_names=["no", "yes"],
        sensitive_feature_names=["ethnicity", "gender"],
        DESCR=_describe("README.md"),
    )
