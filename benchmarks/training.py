"""Training and inference workloads, written once against the torch API so the same code
runs on ember and on torch (`lib` is either module).

- MLP 784-256-10 training step (zero_grad, forward, cross_entropy, backward, SGD with
  momentum, loss.item()) at batch 32, 128 and 512;
- MNIST-1D MLP 40-100-100-10 training step at batch 100;
- MLP 784-256-10 inference under no_grad at batch 1 and 1024.
"""

from __future__ import annotations


def _mlp(lib, sizes):
    nn = lib.nn
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def _train_step(lib, sizes, batch):
    lib.manual_seed(0)
    model = _mlp(lib, sizes)
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = lib.randn(batch, sizes[0])
    y = lib.randint(0, sizes[-1], (batch,))

    def step():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def _inference(lib, sizes, batch):
    lib.manual_seed(0)
    model = _mlp(lib, sizes)
    x = lib.randn(batch, sizes[0])

    def run():
        with lib.no_grad():
            return model(x)
    return run


def workloads(lib):
    """name -> zero-argument callable."""
    out = {}
    for batch in (32, 128, 512):
        out[f"MLP 784-256-10 train step, batch {batch}"] = _train_step(lib, (784, 256, 10),
                                                                        batch)
    out["MNIST-1D MLP 40-100-100-10 train step, batch 100"] = _train_step(
        lib, (40, 100, 100, 10), 100)
    for batch in (1, 1024):
        out[f"MLP 784-256-10 inference, batch {batch}"] = _inference(lib, (784, 256, 10),
                                                                     batch)
    return out


def main() -> None:
    """`python benchmarks/training.py [--rounds N] [--threads T]`: these workloads only,
    ember and torch in alternating fresh processes (benchmarks/run.py's workers), the
    median over rounds of each round's best time, and the ember/torch ratio."""
    import argparse
    import os
    import statistics
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    samples: dict = {"ember": {}, "torch": {}}
    for _ in range(args.rounds):
        for lib in samples:
            res = run.run_round(lib, args.threads, ["training"], False)
            if res is None:
                sys.exit(1)
            for name, value in res.items():
                if "GFLOP" not in name:
                    samples[lib].setdefault(name, []).append(value)
    print(f"{args.threads} thread(s), {args.rounds} rounds; ms per call, median (min-max)\n")
    print("| workload | ember | torch | ember/torch |")
    print("| --- | ---: | ---: | ---: |")
    for name, ours in samples["ember"].items():
        theirs = samples["torch"][name]
        ratio = statistics.median(ours) / statistics.median(theirs)
        print(f"| {name} | {run._fmt(ours)} | {run._fmt(theirs)} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
