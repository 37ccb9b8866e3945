"""Convolutions of batches whose columns pass ops/conv.py's CHUNK run in slices of
samples, spread over threads when BLAS has more than one (ember/_parallel.py). The
results must match torch 2.13 and be the same bits on one thread and on two (the weight
gradient adds the slices' sums in order whatever the thread count)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

import ember
from ember import _parallel


def run(lib, x, w, b, kwargs, transposed=False):
    X, W, B = (lib.tensor(a, requires_grad=True) for a in (x, w, b))
    f = lib.nn.functional.conv_transpose2d if transposed else lib.nn.functional.conv2d
    y = f(X, W, B, **kwargs)
    (y * y).sum().backward()
    return [a.detach().numpy() for a in (y, X.grad, W.grad, B.grad)]


@pytest.mark.parametrize("shapes, kwargs, transposed", [
    (((64, 8, 14, 14), (16, 8, 3, 3)), {"padding": 1}, False),   # LeNet's second conv
    (((40, 3, 32, 32), (6, 3, 3, 3)), {"padding": 1, "stride": 2}, False),
    (((48, 4, 20, 20), (8, 2, 3, 3)), {"groups": 2, "dilation": 2}, False),
    (((32, 16, 16, 16), (16, 4, 3, 3)), {"padding": 1}, True),
])
def test_sliced_convolution_matches_torch_on_one_and_two_threads(shapes, kwargs, transposed):
    rng = np.random.default_rng(0)
    (xs, ws) = shapes
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[1] * kwargs.get("groups", 1) if transposed else ws[0]
                            ).astype(np.float32)
    expected = run(torch, x, w, b, kwargs, transposed)
    got = {}
    for threads in (1, 2):
        with threadpool_limits(limits=threads, user_api="blas"):
            if _parallel.threads() != threads:  # NumPy without a BLAS pool to size
                pytest.skip("no BLAS thread pool")
            got[threads] = run(ember, x, w, b, kwargs, transposed)
    for one, two, want in zip(got[1], got[2], expected):
        np.testing.assert_array_equal(one, two)
        np.testing.assert_allclose(one, want, rtol=2e-5, atol=2e-5 * np.abs(want).max())
