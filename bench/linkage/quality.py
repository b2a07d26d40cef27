"""Precision / recall / F1 per source row, overall and per slice."""

from __future__ import annotations

from collections import defaultdict


def score(pred: list[int | None], truth: list[int | None], labels: list[str]) -> dict[str, dict[str, float]]:
    """Return {slice: {tp, fp, fn, n, precision, recall, f1}} with slice "overall" included.

    A prediction is a true positive when it names the true registry row; naming a wrong row is a
    false positive (and, when a true row exists, also a false negative)."""
    acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for p, t, lab in zip(pred, truth, labels, strict=True):
        for key in ("overall", lab):
            a = acc[key]
            a[3] += 1
            if p is not None and p == t:
                a[0] += 1
            else:
                if p is not None:
                    a[1] += 1
                if t is not None:
                    a[2] += 1
    out: dict[str, dict[str, float]] = {}
    for key, (tp, fp, fn, n) in acc.items():
        prec = tp / (tp + fp) if tp + fp else 1.0
        rec = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        out[key] = {"tp": tp, "fp": fp, "fn": fn, "n": n, "precision": prec, "recall": rec, "f1": f1}
    return out
