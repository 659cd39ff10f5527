"""
=================================================
German Credit: when is a gap noise?
=================================================

On 1,000 applicants the measured gaps between groups move by several points
from one sample to the next. :class:`~skfair.metrics.MetricFrame` with
``n_boot`` puts an interval on every rate and every gap, and
:func:`~skfair.metrics.bootstrap_ci` on any fairness metric, so that a gap
can be read against its noise. For these rates and gaps the intervals come
from the counts (Wilson's interval for a rate, Newcombe's for the gaps
between groups), valid for small groups too (see :ref:`auditing`).
"""

# %%
# Out-of-fold predictions of a logistic regression
# ------------------------------------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair.datasets import load_german_credit
from skfair.metrics import (
    MetricFrame,
    bootstrap_ci,
    equalized_odds_difference,
    selection_rate,
    true_positive_rate,
)

german = load_german_credit()
X = german.data.drop(columns=["personal_status_sex", "age", "sex", "age_group"])
y = german.target.to_numpy()
numeric = [c for c in X.columns if X[c].dtype.kind == "f"]
categorical = [c for c in X.columns if c not in numeric]
model = make_pipeline(
    make_column_transformer(
        (StandardScaler(), numeric),
        (OneHotEncoder(handle_unknown="ignore"), categorical),
    ),
    LogisticRegression(max_iter=1000),
)
pred = cross_val_predict(model, X, y, cv=5)

# %%
# Rates by group, with 95% intervals
# ----------------------------------
mf = MetricFrame(
    metrics={
        "selection_rate": selection_rate,
        "true_positive_rate": true_positive_rate,
        "accuracy": accuracy_score,
    },
    y_true=y,
    y_pred=pred,
    sensitive_features=german.data["age_group"],
    n_boot=1000,
    ci_quantiles=[0.025, 0.975],
    random_state=0,
)
print(mf.by_group.round(3))
low, high = mf.difference_ci()
print(
    "gap and its 95% interval:\n",
    mf.difference().round(3).to_frame("gap").assign(low=low, high=high).round(3),
)

# %%
# A gap whose interval contains 0 cannot be told apart from noise on this
# sample; one whose interval stays away from 0 can.
fig, ax = plt.subplots(figsize=(7, 3.5))
names = list(mf.by_group.columns)
groups = list(mf.by_group.index)
width = 0.8 / len(groups)
for i, group in enumerate(groups):
    values = mf.by_group.loc[group].to_numpy()
    lower = mf.by_group_ci[0].loc[group].to_numpy()
    upper = mf.by_group_ci[1].loc[group].to_numpy()
    ax.bar(
        np.arange(len(names)) + i * width,
        values,
        width,
        yerr=[values - lower, upper - values],
        capsize=4,
        label=f"age group {group}",
    )
ax.set_xticks(np.arange(len(names)) + width * (len(groups) - 1) / 2, names)
ax.set_ylim(0, 1.05)
ax.set_ylabel("rate (95% Wilson interval)")
ax.legend(loc="lower right")
fig.tight_layout()

# %%
# The equalized-odds difference, with its interval
# ------------------------------------------------
for attribute in ("sex", "age_group"):
    groups = german.data[attribute]
    gap = equalized_odds_difference(y, pred, sensitive_features=groups)
    low, high = bootstrap_ci(
        "equalized_odds_difference",
        y,
        pred,
        sensitive_features=groups,
        random_state=0,
    )
    print(
        f"{attribute}: equalized-odds difference {gap:.3f}, "
        f"95% CI [{low:.3f}, {high:.3f}]"
    )
