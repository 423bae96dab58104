#!/usr/bin/python3
"""Plots training curves from `bitnet train --log` files (docs/TRAINING.md's figure).

Usage: plot_training.py OUT.png LABEL=LOG.tsv [LABEL=LOG.tsv ...]
Needs Debian's python3-matplotlib (a documentation tool, not a build dependency).
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_log(path):
    train, val = [], []
    with open(path) as f:
        next(f)
        for line in f:
            step, lr, loss, norm, vloss = (line.rstrip("\n").split("\t") + [""] * 5)[:5]
            if loss:
                train.append((int(step), float(loss)))
            if vloss:
                val.append((int(step), float(vloss)))
    return train, val


def smooth(points, n=25):
    out, acc = [], []
    for s, v in points:
        acc.append(v)
        if len(acc) > n:
            acc.pop(0)
        out.append((s, sum(acc) / len(acc)))
    return out


def main():
    out = sys.argv[1]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for spec in sys.argv[2:]:
        label, path = spec.split("=", 1)
        train, val = read_log(path)
        line, = ax.plot(*zip(*smooth(train)), lw=1, alpha=0.8, label=label + " train (25-step mean)")
        if val:
            ax.plot(*zip(*val), "o-", color=line.get_color(), ms=3, label=label + " validation")
    ax.set_xlabel("step (8 × 256 tokens)")
    ax.set_ylabel("cross-entropy (nats/token)")
    ax.set_ylim(top=7)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main()
