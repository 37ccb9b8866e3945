"""Convolutional workloads, ember vs torch: one training step (forward + backward) each.

Workloads (float32, train mode, cross-entropy loss, gradients cleared each step):
- LeNet-like: Conv2d(1, 8, 3, padding=1) - ReLU - MaxPool2d(2) - Conv2d(8, 16, 3,
  padding=1) - ReLU - MaxPool2d(2) - Flatten - Linear(784, 10) on a (64, 1, 28, 28) batch;
- MNIST-1D's ConvBase (greydanus/mnist1d): Conv1d(1, 25, 5, stride 2, padding 1) and two
  Conv1d(25, 25, 3, stride 2, padding 1), ReLU after each, Linear(125, 10), on a
  (100, 1, 40) batch;
- seed notebook 002's ConvNet classifier: three Conv2d(3, 3, 3, padding=1) each with ReLU,
  Flatten, Linear(3072, 10), on a (64, 3, 32, 32) batch.

Each library runs in its own process, best of several repeats after a warm-up; prints a
Markdown table with ember/torch ratios (below 1: ember is faster). By default both use
one thread (torch.set_num_threads(1); OPENBLAS_NUM_THREADS=1 etc. for ember, whose
NumPy BLAS would otherwise start a thread per core); `--threads N` uses N threads in
both, `--threads default` leaves both at their defaults.

    python benchmarks/cnn.py [--threads N|default]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import timeit


def workloads(lib):
    nn = lib.nn
    lib.manual_seed(0)
    lenet = nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(784, 10))
    conv1d = nn.Sequential(
        nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.ReLU(),
        nn.Flatten(), nn.Linear(125, 10))
    convnet = nn.Sequential(
        nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(), nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(),
        nn.Conv2d(3, 3, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(3072, 10))
    images, digits = lib.randn(64, 1, 28, 28), lib.randint(0, 10, (64,))
    signals, labels = lib.randn(100, 1, 40), lib.randint(0, 10, (100,))
    pictures, classes = lib.randn(64, 3, 32, 32), lib.randint(0, 10, (64,))
    loss_fn = nn.CrossEntropyLoss()

    def step(model, x, y):
        def run():
            for p in model.parameters():
                p.grad = None
            loss_fn(model(x), y).backward()
        return run

    return {
        "LeNet-like step, batch 64, 28x28": step(lenet, images, digits),
        "MNIST-1D ConvBase step, batch 100, length 40": step(conv1d, signals, labels),
        "seed 002 ConvNet step, batch 64, 3x32x32": step(convnet, pictures, classes),
    }


def measure(lib_name: str, threads: str) -> dict:
    if lib_name == "torch":
        import torch as lib
        if threads != "default":
            lib.set_num_threads(int(threads))
    else:
        import ember as lib
    results = {}
    for name, fn in workloads(lib).items():
        fn()
        t = timeit.Timer(fn)
        number = max(1, int(0.2 / max(t.timeit(1), 1e-6)))
        results[name] = min(t.repeat(repeat=7, number=number)) / number
    return results


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] in ("ember", "torch"):
        print(json.dumps(measure(sys.argv[1], sys.argv[2])))
        return
    threads = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
    env = dict(os.environ)
    if threads != "default":
        env.update(OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads, MKL_NUM_THREADS=threads)
    res = {lib: json.loads(subprocess.run([sys.executable, __file__, lib, threads], check=True,
                                          env=env, capture_output=True, text=True).stdout)
           for lib in ("ember", "torch")}
    print(f"threads: {threads}")
    print("| workload | ember (ms) | torch (ms) | ember/torch |")
    print("| --- | ---: | ---: | ---: |")
    for name in res["ember"]:
        e, t = res["ember"][name] * 1e3, res["torch"][name] * 1e3
        print(f"| {name} | {e:.2f} | {t:.2f} | {e / t:.2f} |")


if __name__ == "__main__":
    main()
