"""Per-op overhead, ember vs torch: tiny tensors, so the time is the framework's own.

Each library runs in its own fresh process (two thread pools in one process fight),
with 1 thread, best of several repeats after a warm-up; the parent prints a Markdown
table with ember/torch ratios (below 1: ember is faster).

    python benchmarks/overhead.py           # full
    python benchmarks/overhead.py --quick   # a smoke run for CI (asserts nothing)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import timeit


def workloads(lib):
    """name -> zero-argument callable, all on 16-element or 4x4 float32 tensors."""
    a, b, c = lib.randn(16), lib.randn(16), lib.randn(16)
    m1, m2 = lib.randn(4, 4), lib.randn(4, 4)
    ag = lib.randn(16, requires_grad=True)
    bg = lib.randn(16, requires_grad=True)
    x = lib.randn(32, 40)
    w1 = (lib.randn(100, 40) * 0.1).requires_grad_()
    w2 = (lib.randn(10, 100) * 0.1).requires_grad_()

    def mul_sum_backward():
        (ag * bg).sum().backward()

    def mul_add_sum_backward():
        (ag * bg + c).sum().backward()

    def tiny_mlp_step():
        h = (x @ w1.t()).relu()
        loss = (h @ w2.t()).log_softmax(1).mean()
        loss.backward()
        return loss.item()

    return {
        "a + b (16 elements)": lambda: a + b,
        "a * b (16 elements)": lambda: a * b,
        "a @ b (4x4)": lambda: m1 @ m2,
        "(a * b).sum().backward()": mul_sum_backward,
        "(a * b + c).sum().backward()": mul_add_sum_backward,
        "MLP 40-100-10 fwd+bwd, batch 32": tiny_mlp_step,
    }


def measure(lib_name: str, quick: bool) -> dict:
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
    else:
        import ember as lib
    results = {}
    for name, fn in workloads(lib).items():
        fn()  # warm-up
        number = 50 if quick else 2000
        repeat = 1 if quick else 7
        best = min(timeit.repeat(fn, number=number, repeat=repeat)) / number
        results[name] = best * 1e6
    return results


def run_worker(lib_name: str, quick: bool):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, __file__, "--worker", lib_name] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if out.returncode != 0:
        print(f"{lib_name} worker failed:\n{out.stderr}", file=sys.stderr)
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--worker", choices=["ember", "torch"])
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(args.worker, args.quick)))
        return
    ember_t = run_worker("ember", args.quick)
    torch_t = run_worker("torch", args.quick)
    if ember_t is None:
        sys.exit(1)
    print("| workload | ember (us) | torch (us) | ember/torch |")
    print("| --- | ---: | ---: | ---: |")
    for name, t in ember_t.items():
        tt = torch_t.get(name) if torch_t else None
        ratio = f"{t / tt:.2f}" if tt else "-"
        print(f"| {name} | {t:.1f} | {tt:.1f} | {ratio} |" if tt else
              f"| {name} | {t:.1f} | - | - |")


if __name__ == "__main__":
    main()
