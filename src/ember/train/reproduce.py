"""Reproduce the MNIST-1D paper's table with the `ember train` command.

    python -m ember.train.reproduce [--seeds 0 1 2] [--epochs 150] [--out DIR]
                                    [--markdown table.md] [--paper-recipe]

Trains logreg, mlp, cnn and gru (the paper's architectures) once per seed, each in its own
`ember train` process, and writes a Markdown table of final test accuracy (mean +- std over
seeds), best epoch, epochs and wall time beside the paper's numbers.

The recipe, the same for every model and seed: AdamW, peak learning rate 0.02, weight
decay 0.1, cosine decay to 0 stepped every batch, batch 100, 150 epochs (the paper's 6000
steps). `--paper-recipe` trains as the paper's code does instead: Adam, constant lr 0.01,
no weight decay.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import platform
import statistics
import subprocess
import sys

PAPER = {"logreg": "32 ± 1", "mlp": "68 ± 2", "cnn": "94 ± 2", "gru": "91 ± 2"}
NAMES = {"logreg": "logistic regression", "mlp": "MLP", "cnn": "CNN", "gru": "GRU"}


RECIPE = ["--optimizer", "adamw", "--lr", "0.02", "--weight-decay", "0.1",
          "--schedule", "cosine"]
PAPER_RECIPE = ["--optimizer", "adam", "--lr", "0.01", "--weight-decay", "0",
                "--schedule", "constant"]


def run(model: str, seed: int, epochs: int, out: pathlib.Path, recipe: list[str]) -> dict:
    folder = out / f"{model}-seed{seed}"
    cmd = [sys.executable, "-m", "ember", "train", "--data", "mnist1d", "--model", model,
           "--epochs", str(epochs), "--seed", str(seed), "--out", str(folder), "--no-progress",
           "--threads", "1", *recipe]
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, env=env)
    return json.loads((folder / "metrics.json").read_text())


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m ember.train.reproduce")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--epochs", type=int, default=150)
    p.add_argument("--models", nargs="+", default=list(PAPER), choices=list(PAPER))
    p.add_argument("--out", default="ember-runs/mnist1d")
    p.add_argument("--markdown", default=None, help="write the table to this file")
    p.add_argument("--paper-recipe", action="store_true",
                   help="Adam, constant lr 0.01, no weight decay (the paper's code)")
    args = p.parse_args(argv)
    recipe = PAPER_RECIPE if args.paper_recipe else RECIPE
    print("recipe:", " ".join(recipe), f"--epochs {args.epochs}", flush=True)
    out = pathlib.Path(args.out)
    rows = []
    for model in args.models:
        accs, secs, best = [], [], []
        for seed in args.seeds:
            m = run(model, seed, args.epochs, out, recipe)
            accs.append(100 * m["final"]["test_accuracy"])
            secs.append(m["final"]["train_seconds"])
            best.append(100 * max(r["accuracy"] for r in m["history"]))
            print(f"{model} seed {seed}: {accs[-1]:.1f}% in {secs[-1]:.1f}s (best epoch "
                  f"{best[-1]:.1f}%)", flush=True)
        sd = statistics.stdev(accs) if len(accs) > 1 else 0.0
        rows.append((model, accs, sd, best, secs))
    lines = [
        "| model | paper | ember final (mean ± std) | ember final per seed | best epoch "
        "(mean) | epochs | training time per run |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for model, accs, sd, best, secs in rows:
        lines.append(
            f"| {NAMES[model]} (`{model}`) | {PAPER[model]}% | "
            f"**{statistics.mean(accs):.1f} ± {sd:.1f}%** | "
            f"{', '.join(f'{a:.1f}' for a in accs)} | {statistics.mean(best):.1f}% | "
            f"{args.epochs} | {statistics.mean(secs):.1f} s |")
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        machine = (f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
                   f"Python {platform.python_version()}")
        pathlib.Path(args.markdown).write_text(
            table + f"\n\nSeeds {' '.join(map(str, args.seeds))}; recipe "
            f"`{' '.join(recipe)} --epochs {args.epochs}`; {machine}.\n")


if __name__ == "__main__":
    main()
