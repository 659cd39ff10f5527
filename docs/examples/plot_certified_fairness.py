"""
=================================================
A fairness bound that holds on new data
=================================================

A mitigator's ``tolerance`` bounds the gap on the rows it was fitted on.
:class:`~skfair.model_selection.HighConfidenceFairClassifier` certifies the
gap on the *population* instead: with 95% confidence it is at most
``bound``, or the classifier says it cannot promise that and predicts one
label for everyone (see :ref:`new_data`).

Here a synthetic population with a proxy of the group among its features:
for training samples of growing size, the training gap and the population
gap of a ThresholdOptimizer fitted with ``tolerance=0.05``, and what the
certified classifier with ``bound=0.05`` returns.
"""

# %%
# A population, and samples of it
# --------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression

from skfair.exceptions import CertificationWarning
from skfair.metrics import equalized_odds_difference
from skfair.model_selection import HighConfidenceFairClassifier
from skfair.postprocessing import ThresholdOptimizer

rng = np.random.default_rng(0)


def sample(n):
    """Rows of the population: the group (column 0, not a feature), 5 features."""
    group = (rng.uniform(size=n) < 0.5).astype(int)
    Z = rng.normal(size=(n, 5))
    Z[:, 0] += 0.6 * group
    Z[:, 4] = group + 0.5 * Z[:, 4]  # a proxy of the group
    logit = 3.0 * (1.8 * Z[:, 0] - 1.4 * Z[:, 1] + Z[:, 2] + 0.5 * group - 0.4)
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    return np.column_stack([group, Z]), y


X_pop, y_pop = sample(300_000)


def population_gap(model):
    pred = model.predict(X_pop)
    return equalized_odds_difference(y_pop, pred, sensitive_features=X_pop[:, 0])


# %%
# Plain and certified, at three sample sizes
# ------------------------------------------
# ``sensitive_cols=0``: the group column is read from X and removed before
# the models see it.
sizes = [3_000, 10_000, 30_000]
rows = []
for n in sizes:
    X, y = sample(n)
    plain = ThresholdOptimizer(
        LogisticRegression(), tolerance=0.05, sensitive_cols=0, random_state=0
    ).fit(X, y)
    train_gap = equalized_odds_difference(
        y, plain.predict(X), sensitive_features=X[:, 0]
    )
    certified = HighConfidenceFairClassifier(
        ThresholdOptimizer(LogisticRegression(), random_state=0),
        bound=0.05,
        confidence=0.95,
        sensitive_cols=0,
        random_state=0,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", CertificationWarning)
        certified.fit(X, y)
    rows.append(
        dict(
            n=n,
            train_gap=train_gap,
            plain_gap=population_gap(plain),
            certified=certified.certified_,
            upper_bound=certified.upper_bound_,
            tightest=certified.tightest_bound_,
            certified_gap=population_gap(certified),
        )
    )
    if caught:
        print(f"{n} rows: {caught[0].message}\n")

for r in rows:
    print(
        f"{r['n']:>6} rows: plain training gap {r['train_gap']:.3f}, "
        f"population {r['plain_gap']:.3f} | certified {r['certified']}, "
        f"bound {r['upper_bound']:.3f} (tightest possible {r['tightest']:.3f}), "
        f"population {r['certified_gap']:.3f}"
    )

# %%
# The three numbers side by side
# ------------------------------
# The training gap meets the tolerance; the population gap of the same model
# may not. The certified bound is above the population gap of the model it
# certifies; where nothing could be certified, the tightest bound the data
# allows is shown, and the model predicts one label (gap 0).
fig, ax = plt.subplots(figsize=(7.5, 5.5))
ax.plot(sizes, [r["train_gap"] for r in rows], "o-", label="plain: training gap")
ax.plot(sizes, [r["plain_gap"] for r in rows], "s-", label="plain: population gap")
ax.plot(
    sizes,
    [r["upper_bound"] for r in rows],
    "^-",
    label="certified: upper bound of the tested model",
)
ax.plot(
    sizes,
    [r["tightest"] for r in rows],
    "v:",
    label="tightest bound the data could certify",
)
ax.plot(
    sizes,
    [r["certified_gap"] for r in rows],
    "D-",
    label="certified: population gap",
)
ax.axhline(0.05, color="grey", lw=1, ls="--", label="bound / tolerance 0.05")
ax.set_xscale("log")
ax.set_xlabel("training rows")
ax.set_ylabel("equalized-odds gap")
ax.legend(fontsize=10)
fig.tight_layout()
plt.show()
