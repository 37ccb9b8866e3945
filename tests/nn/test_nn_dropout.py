"""Dropout ops and layers against torch: with the same seed the masks are torch's;
identity in eval; channel masks for dropout1d/2d/3d; p validation; reprs."""

import warnings

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, randn
from module_check import check_module


def seeded(fn, seed=0):
    """fn(t, *args) run right after t.manual_seed(seed), in both libraries."""
    def run(t, *args):
        t.manual_seed(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(t, *args)
    return run


CASES = {
    "dropout": (lambda t, x: t.nn.functional.dropout(x, 0.3), (7, 9)),
    "dropout_p0": (lambda t, x: t.nn.functional.dropout(x, 0.0), (3, 4)),
    "dropout_p1": (lambda t, x: t.nn.functional.dropout(x, 1.0), (3, 4)),
    "torch_dropout": (lambda t, x: t.dropout(x, 0.6, True), (5, 4)),
    "dropout1d": (lambda t, x: t.nn.functional.dropout1d(x, 0.5), (4, 6, 5)),
    "dropout1d_unbatched": (lambda t, x: t.nn.functional.dropout1d(x, 0.5), (6, 5)),
    "dropout2d": (lambda t, x: t.nn.functional.dropout2d(x, 0.4), (3, 5, 2, 2)),
    "dropout2d_3d": (lambda t, x: t.nn.functional.dropout2d(x, 0.4), (3, 5, 4)),
    "dropout3d": (lambda t, x: t.nn.functional.dropout3d(x, 0.5), (2, 4, 2, 2, 2)),
    "dropout3d_unbatched": (lambda t, x: t.nn.functional.dropout3d(x, 0.5), (4, 2, 2, 2)),
    "alpha_dropout": (lambda t, x: t.nn.functional.alpha_dropout(x, 0.2, True), (6, 5)),
    "feature_alpha_dropout": (
        lambda t, x: t.nn.functional.feature_alpha_dropout(x, 0.2, True), (3, 4, 5)),
    "feature_dropout": (lambda t, x: t.feature_dropout(x, 0.5, True), (3, 4, 5)),
}


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_masks_equal_torch_with_the_same_seed(name, dtype):
    fn, shape = CASES[name]
    check(seeded(fn), randn(*shape, dtype=dtype))


@pytest.mark.parametrize("name", [n for n in CASES if not n.endswith("unbatched")])
def test_dropout_in_eval_is_the_identity(name):
    fn, shape = CASES[name]
    x = ember.randn(*shape)
    if name.startswith("torch") or name.startswith("feature_dropout"):
        out = ember.dropout(x, 0.5, False)
    else:
        fname = {"alpha_dropout": "alpha_dropout",
                 "feature_alpha_dropout": "feature_alpha_dropout"}.get(name,
                                                                       name.split("_")[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = getattr(ember.nn.functional, fname)(x, 0.5, training=False)
    assert out is x


def test_dropout_empty_and_zero_dim():
    check(seeded(lambda t, x: t.nn.functional.dropout(x, 0.5)), randn(0, 3))
    check(seeded(lambda t, x: t.nn.functional.dropout(x, 0.5)), np.array(1.5, np.float32))


@pytest.mark.parametrize("fn", [
    lambda t, x: t.nn.functional.dropout(x, 0.3, inplace=True),
    lambda t, x: t.nn.functional.dropout2d(x, 0.3, inplace=True),
    lambda t, x: t.nn.functional.alpha_dropout(x, 0.3, True, inplace=True),
    lambda t, x: t.dropout_(x, 0.5, True),
])
def test_inplace_dropout_writes_into_the_input(fn):
    def run(t, x):
        y = x * 1
        out = fn(t, y)
        assert out is y
        return out

    check(seeded(run), randn(3, 4, 5))


def test_unbatched_dropout_in_eval_returns_the_values_unchanged():
    check(lambda t, x: t.nn.functional.dropout1d(x, 0.5, training=False), randn(6, 5))
    check(lambda t, x: t.nn.functional.dropout3d(x, 0.5, training=False), randn(3, 2, 2, 2))


def test_dropout1d_inplace_unbatched_changes_the_caller_tensor():
    def run(t, x):
        y = x * 1
        out = t.nn.functional.dropout1d(y, 0.5, inplace=True)
        return out, y

    # torch records SqueezeBackward4 (its in-place squeeze_); ember squeezes a view
    check(seeded(run), randn(6, 5), check_grad_fn=False)


def test_dropout_statistics_of_a_large_mask():
    ember.manual_seed(1)
    out = ember.nn.functional.dropout(ember.ones(200_000), 0.25).numpy()
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.005


@pytest.mark.parametrize("fn", [
    lambda t, x: t.nn.functional.dropout(x, 1.5),
    lambda t, x: t.nn.functional.dropout(x, -0.1),
    lambda t, x: t.nn.functional.dropout2d(x, 2.0),
    lambda t, x: t.nn.functional.alpha_dropout(x, -1.0),
    lambda t, x: t.nn.functional.dropout1d(x.reshape(2, 2, 3, 1)),
    lambda t, x: t.nn.Dropout(1.1),
    lambda t, x: t.nn.Dropout3d(-0.5),
])
def test_bad_arguments_raise_like_torch(fn):
    check_error(fn, randn(4, 3))


def test_dropout2d_warns_like_torch_for_unexpected_ranks():
    for shape, message in (((3, 4), "Received a 2-D input to dropout2d"),
                           ((3, 4, 5), "Received a 3D input to dropout2d")):
        with pytest.warns(UserWarning, match=message):
            ember.nn.functional.dropout2d(ember.randn(*shape))
        with pytest.warns(UserWarning, match=message):
            torch.nn.functional.dropout2d(torch.randn(*shape))


MODULES = [
    (lambda nn: nn.Dropout(), (5, 6)),
    (lambda nn: nn.Dropout(0.2, inplace=True), (5, 6)),
    (lambda nn: nn.Dropout1d(0.3), (2, 4, 5)),
    (lambda nn: nn.Dropout2d(), (2, 4, 3, 3)),
    (lambda nn: nn.Dropout3d(0.7), (2, 4, 2, 2, 2)),
    (lambda nn: nn.AlphaDropout(0.1), (5, 6)),
    (lambda nn: nn.FeatureAlphaDropout(0.4), (3, 4, 5)),
]


@pytest.mark.parametrize("build,shape", MODULES)
def test_dropout_module_matches_torch(build, shape):
    def forward(m, x):
        (torch if isinstance(m, torch.nn.Module) else ember).manual_seed(5)
        return m(x * 1)

    check_module(build, randn(*shape), forward=forward)
