"""The benchmark runner: the same workloads through ember and through torch.

Each library runs in its own fresh process (two thread pools in one process fight and
ruin both). Rounds alternate ember, torch, ember, torch, ... after a warm-up in each
process; each round reports the best time of a few repeats per workload, and the table
shows the median over rounds with the min-max spread, at 1 and 2 threads, and the
ember/torch ratio of the medians (below 1: ember is faster).

Workloads come from the modules beside this file, each exposing `workloads(lib)`:
`overhead.py` (per-op cost on tiny tensors), `training.py` (MLP steps, inference),
`cnn.py` (LeNet-like, MNIST-1D and seed 002's ConvNet steps), `recurrent_attention.py` (GRU,
TransformerEncoder). Extra rows: fp32 matmul GFLOP/s (ember vs NumPy itself), import
time and memory (RSS after import, peak RSS over 100 batch-512 MLP steps).

    python benchmarks/run.py              # full: 5 rounds, threads 1 and 2 (~10 min)
    python benchmarks/run.py --quick      # CI smoke run: 1 round, 1 thread, tiny repeats
    python benchmarks/run.py --only training,cnn --rounds 3 --threads 1
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
SUITES = ("overhead", "training", "cnn", "recurrent_attention")


# ---- inside a worker process -----------------------------------------------------------

def _import_lib(name: str, threads: int):
    if name == "torch":
        import torch
        torch.set_num_threads(threads)
        return torch
    import ember
    return ember


def _time(fn, quick: bool) -> float:
    """Best seconds per call over a few repeats, sized to ~0.2 s each (less when quick)."""
    fn()  # warm-up
    timer = timeit.Timer(fn)
    one = max(timer.timeit(1), 1e-7)
    budget = 0.01 if quick else 0.2
    number = max(1, int(budget / one))
    return min(timer.repeat(repeat=2 if quick else 5, number=number)) / number


def _matmul_rows(quick: bool) -> dict:
    """fp32 matmul GFLOP/s: ember's `@` and NumPy's, in this (ember) process."""
    import numpy as np

    import ember
    rows = {}
    for n in ((256,) if quick else (256, 1024, 2048)):
        a, b = np.random.rand(n, n).astype(np.float32), np.random.rand(n, n).astype(np.float32)
        ea, eb = ember.from_numpy(a), ember.from_numpy(b)
        flops = 2 * n ** 3
        ember_mm = lambda ea=ea, eb=eb: ea @ eb  # noqa: E731
        numpy_mm = lambda a=a, b=b: a @ b  # noqa: E731
        rows[f"matmul GFLOP/s n={n}, ember"] = flops / _time(ember_mm, quick) / 1e9
        rows[f"matmul GFLOP/s n={n}, numpy"] = flops / _time(numpy_mm, quick) / 1e9
    return rows


def worker(lib_name: str, threads: int, suites, quick: bool) -> dict:
    lib = _import_lib(lib_name, threads)
    sys.path.insert(0, HERE)
    results = {}
    for suite in suites:
        module = importlib.import_module(suite)
        for name, fn in module.workloads(lib).items():
            results[name] = _time(fn, quick) * 1e3  # ms
    if lib_name == "ember" and "training" in suites:
        results.update(_matmul_rows(quick))
    return results


# ---- memory and import time, each in its own process -------------------------------------

_PEAK_RSS = """
import resource, sys
sys.path.insert(0, {here!r})
import {lib} as lib
after_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import training
step = training._train_step(lib, (784, 256, 10), 512)
for _ in range({steps}):
    step()
print(after_import / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def memory_rows(lib_name: str, quick: bool, env) -> dict:
    code = _PEAK_RSS.format(here=HERE, lib=lib_name, steps=5 if quick else 100)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    # Import as a user's machine does: from cached bytecode (pip byte-compiles torch at
    # install; an editable ember writes its .pyc on the first import, done here once).
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    _wall([sys.executable, "-c", f"import {lib_name}"], env)
    imports = []
    for _ in range(1 if quick else 5):
        imports.append(_wall([sys.executable, "-c", f"import {lib_name}"], env))
    return {"RSS after import (MB)": float(out[0]),
            "peak RSS, 100 MLP steps at batch 512 (MB)": float(out[1]),
            "import time (s)": min(imports)}


def _wall(cmd, env) -> float:
    import time
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True)
    return time.perf_counter() - start


# ---- the parent: alternate processes, aggregate, print -------------------------------------

def _env(threads: int):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def run_round(lib_name, threads, suites, quick):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib_name,
           "--threads", str(threads), "--only", ",".join(suites)] + (["--quick"] if quick
                                                                      else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(threads), check=False)
    if proc.returncode != 0:
        print(f"{lib_name} worker failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _fmt(values) -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{med:.3g}"
    return f"{med:.3g} ({min(values):.3g}-{max(values):.3g})"


def main() -> None:
    parser = argparse.ArgumentParser(description="ember vs torch benchmarks")
    parser.add_argument("--quick", action="store_true", help="CI smoke run; asserts nothing")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--threads", default=None, help="comma list, e.g. 1,2")
    parser.add_argument("--only", default=",".join(SUITES))
    parser.add_argument("--worker", choices=["ember", "torch"])
    args = parser.parse_args()
    suites = [s for s in args.only.split(",") if s]
    if args.worker:
        threads = int(args.threads or 1)
        print(json.dumps(worker(args.worker, threads, suites, args.quick)))
        return

    rounds = args.rounds or (1 if args.quick else 5)
    thread_counts = [int(t) for t in (args.threads or ("1" if args.quick else "1,2")).split(",")]
    have_torch = importlib.util.find_spec("torch") is not None
    libs = ["ember", "torch"] if have_torch else ["ember"]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores; "
          f"python {platform.python_version()}; rounds {rounds}")
    for threads in thread_counts:
        samples = {lib: {} for lib in libs}
        for _ in range(rounds):
            for lib in libs:  # alternate A/B so drifts in machine load hit both
                res = run_round(lib, threads, suites, args.quick)
                if res is None:
                    sys.exit(1)
                for name, value in res.items():
                    samples[lib].setdefault(name, []).append(value)
        print(f"\n### {threads} thread{'s' if threads > 1 else ''} (times in ms unless noted)\n")
        print("| workload | ember | torch | ember/torch |")
        print("| --- | ---: | ---: | ---: |")
        for name, values in samples["ember"].items():
            theirs = samples.get("torch", {}).get(name)
            ratio = (f"{statistics.median(values) / statistics.median(theirs):.2f}"
                     if theirs else "-")
            print(f"| {name} | {_fmt(values)} | {_fmt(theirs) if theirs else '-'} | {ratio} |")
    if "training" in suites:
        print("\n### import and memory (1 thread)\n")
        print("| measure | ember | torch | ember/torch |")
        print("| --- | ---: | ---: | ---: |")
        rows = {lib: memory_rows(lib, args.quick, _env(1)) for lib in libs}
        for name, value in rows["ember"].items():
            theirs = rows.get("torch", {}).get(name)
            ratio = f"{value / theirs:.2f}" if theirs else "-"
            print(f"| {name} | {value:.3g} | {theirs:.3g} | {ratio} |" if theirs else
                  f"| {name} | {value:.3g} | - | - |")


if __name__ == "__main__":
    main()
