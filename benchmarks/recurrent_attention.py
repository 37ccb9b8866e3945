"""Recurrent and attention layers, ember vs torch: one forward + backward step each.

Workloads (float32, train mode):
- MNIST-1D's GRUBase (greydanus/mnist1d notebooks/models.py): GRU(1, 6, bidirectional,
  batch_first) on a (100, 40, 1) batch, its outputs flattened into Linear(480, 10),
  cross-entropy loss;
- a wider GRU(1, 128, batch_first) on the same batch, loss = output.sum();
- TransformerEncoder(d_model 64, 4 heads, feed-forward 128, 2 layers, batch_first) on a
  (32, 40, 64) batch, loss = output.sum().

Each library runs in its own process with 1 thread (torch.set_num_threads(1); for
ember, OPENBLAS_NUM_THREADS=1 etc. in its environment, since NumPy's BLAS would otherwise
start a thread per core), best of several repeats after a warm-up; prints a Markdown
table with ember/torch ratios (below 1: ember is faster).

    python benchmarks/recurrent_attention.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import timeit


def workloads(lib):
    nn = lib.nn
    F = nn.functional
    lib.manual_seed(0)
    x = lib.randn(100, 40, 1)
    y = lib.randint(0, 10, (100,))
    gru_small = nn.GRU(1, 6, batch_first=True, bidirectional=True)
    head = nn.Linear(480, 10)
    gru_wide = nn.GRU(1, 128, batch_first=True)
    encoder = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(64, 4, 128, batch_first=True), 2,
        enable_nested_tensor=False)
    tokens = lib.randn(32, 40, 64)

    def mnist1d_gru():
        out, _ = gru_small(x)
        loss = F.cross_entropy(head(out.reshape(100, -1)), y)
        loss.backward()

    def wide_gru():
        out, h = gru_wide(x)
        out.sum().backward()

    def transformer_step():
        encoder(tokens).sum().backward()

    return {
        "MNIST-1D GRUBase step: GRU(1, 6, bidir) + Linear, batch 100, seq 40": mnist1d_gru,
        "GRU(1, 128) fwd+bwd, batch 100, seq 40": wide_gru,
        "TransformerEncoder d64 h4 ff128 x2 fwd+bwd, batch 32, seq 40": transformer_step,
    }


def measure(lib_name: str) -> dict:
    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
    else:
        import ember as lib
    results = {}
    for name, fn in workloads(lib).items():
        fn()
        t = timeit.Timer(fn)
        number = max(1, int(0.2 / max(t.timeit(1), 1e-6)))
        results[name] = min(t.repeat(repeat=5, number=number)) / number
    return results


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("ember", "torch"):
        print(json.dumps(measure(sys.argv[1])))
        return
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    res = {lib: json.loads(subprocess.run([sys.executable, __file__, lib], check=True, env=env,
                                          capture_output=True, text=True).stdout)
           for lib in ("ember", "torch")}
    print("| workload | ember (ms) | torch (ms) | ember/torch |")
    print("| --- | ---: | ---: | ---: |")
    for name in res["ember"]:
        e, t = res["ember"][name] * 1e3, res["torch"][name] * 1e3
        print(f"| {name} | {e:.2f} | {t:.2f} | {e / t:.2f} |")


if __name__ == "__main__":
    main()
