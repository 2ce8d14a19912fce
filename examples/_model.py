"""A small real model for the examples: logistic regression trained with SGD on generated data.

No downloads: the data set is drawn from a fixed seed, so every run sees the same data.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def make_data(
    n: int = 2000, features: int = 20, seed: int = 0
) -> tuple[Array, Array, Array, Array]:
    """Two overlapping Gaussian classes, split 80/20 into train and validation."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=n).astype(np.float64)
    centers = rng.normal(size=(2, features))
    x = centers[y.astype(int)] + rng.normal(scale=2.0, size=(n, features))
    cut = int(n * 0.8)
    return x[:cut], y[:cut], x[cut:], y[cut:]


def _loss_and_accuracy(w: Array, x: Array, y: Array, l2: float) -> tuple[float, float]:
    p = 1 / (1 + np.exp(-(x @ w)))
    eps = 1e-9
    loss = -np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)) + l2 * float(w @ w)
    return float(loss), float(np.mean((p > 0.5) == y))


def train_epochs(config: dict[str, Any], epochs: int) -> Iterator[dict[str, float]]:
    """Train for ``epochs`` epochs; yield train/validation loss and accuracy after each."""
    x, y, xv, yv = make_data()
    rng = np.random.default_rng(int(config.get("seed", 0)))
    w = np.zeros(x.shape[1])
    lr, l2, batch = float(config["lr"]), float(config["l2"]), int(config["batch_size"])
    for _ in range(epochs):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start : start + batch]
            p = 1 / (1 + np.exp(-(x[idx] @ w)))
            grad = x[idx].T @ (p - y[idx]) / len(idx) + 2 * l2 * w
            w -= lr * grad
        train_loss, train_acc = _loss_and_accuracy(w, x, y, l2)
        val_loss, val_acc = _loss_and_accuracy(w, xv, yv, l2)
        yield {
            "train_loss": train_loss,
            "train_acc": train_acc,
            "val_loss": val_loss,
            "val_acc": val_acc,
        }
