"""
=====================================================
Fair regression with Wasserstein barycenters
=====================================================

:class:`~skfair.postprocessing.BarycenterRegressor` makes a regressor's
predictions follow the same distribution in every group (demographic parity
for regression) with the least change: each group's predictions are mapped,
through their own CDF, to the weighted barycenter of the groups'
distributions (Chzhen et al. 2020; see :ref:`beyond_binary`).

Here a Ridge regression predicts weekly working hours on UCI Adult from
everything but ``sex``; men's predictions are still far higher than women's.
"""

# %%
# The model and its gap
# ---------------------
import matplotlib.pyplot as plt
import numpy as np
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_squared_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skfair.datasets import load_adult
from skfair.metrics import (
    ks_distance_between_groups,
    mean_difference_between_groups,
    wasserstein_distance_between_groups,
)
from skfair.postprocessing import BarycenterRegressor

train = load_adult(split="train", as_frame=True).frame
test = load_adult(split="test", as_frame=True).frame
target = "hours-per-week"
X_train, y_train = train.drop(columns=target), train[target].to_numpy()
X_test, y_test = test.drop(columns=target), test[target].to_numpy()
sex_test = X_test["sex"]


def ridge():
    return make_pipeline(
        make_column_transformer(
            (
                OneHotEncoder(handle_unknown="ignore"),
                make_column_selector(dtype_include="category"),
            ),
            remainder=StandardScaler(),
        ),
        Ridge(),
    )


model = ridge().fit(X_train.drop(columns="sex"), y_train)

# %%
# Post-processing at three repair levels
# --------------------------------------
# With ``sensitive_cols="sex"`` the group is read from ``X`` and removed
# before the wrapped Ridge sees it. ``repair_level`` moves each prediction
# part of the way to its barycenter value.
predictions = {"Ridge": model.predict(X_test.drop(columns="sex"))}
for level in (0.5, 1.0):
    fair = BarycenterRegressor(
        ridge(), repair_level=level, sensitive_cols="sex", random_state=0
    ).fit(X_train, y_train)
    predictions[f"repair_level={level:g}"] = fair.predict(X_test)

for name, pred in predictions.items():
    kwargs = {"sensitive_features": sex_test}
    ks = ks_distance_between_groups(y_test, pred, **kwargs)
    w1 = wasserstein_distance_between_groups(y_test, pred, **kwargs)
    gap = mean_difference_between_groups(y_test, pred, **kwargs)
    mse = mean_squared_error(y_test, pred)
    print(
        f"{name:>16}: KS {ks:.3f}, Wasserstein {w1:.2f} h, "
        f"mean gap {gap:.2f} h, MSE {mse:.1f}"
    )

# %%
# The groups' distributions of predictions
# ----------------------------------------
# Each panel shows the empirical CDF of the test predictions of men and
# women. At ``repair_level=1`` the two curves coincide: the same share of
# each group is predicted to work more than any number of hours.
fig, axes = plt.subplots(1, 3, figsize=(7.5, 3.2), sharey=True)
for ax, (name, pred) in zip(axes, predictions.items(), strict=True):
    for group in ("Female", "Male"):
        values = np.sort(pred[(sex_test == group).to_numpy()])
        ax.plot(values, np.arange(1, values.size + 1) / values.size, label=group)
    ax.set_title(name)
    ax.set_xlabel("predicted hours")
    ax.set_xlim(20, 60)
axes[0].set_ylabel("share of the group")
axes[0].legend(loc="lower right")
fig.tight_layout()

# %%
# What parity costs
# -----------------
# The test MSE rises slowly with the repair level while the KS distance
# between the groups falls to almost 0.
levels = np.linspace(0, 1, 6)
ks, mse = [], []
for level in levels:
    pred = (
        BarycenterRegressor(
            ridge(), repair_level=level, sensitive_cols="sex", random_state=0
        )
        .fit(X_train, y_train)
        .predict(X_test)
    )
    ks.append(ks_distance_between_groups(y_test, pred, sensitive_features=sex_test))
    mse.append(mean_squared_error(y_test, pred))
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(ks, mse, marker="o")
for level, x, y in zip(levels, ks, mse, strict=True):
    ax.annotate(f"{level:.1f}", (x, y), textcoords="offset points", xytext=(4, 4))
ax.set_xlabel("test KS distance, men vs women")
ax.set_ylabel("test MSE (hours squared)")
fig.tight_layout()
