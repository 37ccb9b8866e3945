"""Loss functions and loss modules, compared with torch: values, dtypes, grad_fn names,
gradients w.r.t. input (and target where torch has one), float64 gradchecks, errors and
warnings, module reprs and state_dicts."""

import warnings

import numpy as np
import pytest
import torch

import ember
from differential import check, check_error, gradcheck, gradgradcheck, non_contiguous, randn
from module_check import check_module

RNG = np.random.default_rng(7)
DTYPES = [np.float32, np.float64]
REDUCTIONS = ["none", "mean", "sum"]


def F(T):
    return T.nn.functional


def const(T, a):
    """A tensor that does not require grad, in library T."""
    return T.from_numpy(np.array(a, copy=True))


def classes(*shape, C=5):
    return RNG.integers(0, C, shape).astype(np.int64)


def probs(*shape, dtype=np.float32):
    return RNG.uniform(0.05, 0.95, shape).astype(dtype)


def signs(*shape, dtype=np.float32):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype(dtype)


# ---------------------------------------------------------------------------------------
# pointwise regression losses


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("smooth_l1_loss", {}),
    ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0}),
    ("huber_loss", {}), ("huber_loss", {"delta": 0.4}),
])
def test_regression_losses_match_torch_with_input_and_target_grads(name, kwargs, reduction,
                                                                      dtype):
    x, y = randn(4, 6, dtype=dtype), randn(4, 6, dtype=dtype)
    check(lambda T, a, b: getattr(F(T), name)(a, b, reduction=reduction, **kwargs), x, y)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"])
def test_regression_losses_gradcheck(name):
    x, y = randn(3, 4, dtype=np.float64), randn(3, 4, dtype=np.float64)
    assert gradcheck(lambda T, a, b: getattr(F(T), name)(a, b), x, y)
    assert gradgradcheck(lambda T, a, b: getattr(F(T), name)(a, b, reduction="sum"), x, y)


def test_regression_losses_on_empty_and_0d_and_non_contiguous_inputs():
    check(lambda T, a, b: F(T).mse_loss(a, b), randn(0, 3), randn(0, 3))
    check(lambda T, a, b: F(T).mse_loss(a, b, reduction="sum"), randn(0, 3), randn(0, 3))
    check(lambda T, a, b: F(T).huber_loss(a, b), randn(), randn())
    check(lambda T, a, b: F(T).smooth_l1_loss(a, b, reduction="none"),
          non_contiguous(randn(3, 4)), randn(3, 4))


def test_mse_loss_promotes_dtypes_like_torch():
    check(lambda T, a, b: F(T).mse_loss(a, b), randn(3), randn(3, dtype=np.float64))
    check(lambda T, a: F(T).mse_loss(a, const(T, np.arange(3))), randn(3))


def test_mse_loss_warns_when_target_size_differs_and_broadcasts():
    x, y = randn(3, 1), randn(3)
    with pytest.warns(UserWarning) as e_rec:
        check(lambda T, a, b: F(T).mse_loss(a, b), x, y)
    messages = {str(w.message).replace("torch.Size", "ember.Size") for w in e_rec}
    assert len(messages) == 1 and "Using a target size (ember.Size([3]))" in messages.pop()


def test_mse_loss_broadcast_error_matches_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_error(lambda T, a, b: F(T).mse_loss(a, b), randn(3, 2), randn(3))


def test_regression_loss_argument_errors_match_torch():
    check_error(lambda T, a, b: F(T).smooth_l1_loss(a, b, beta=-1.0), randn(3), randn(3))
    check_error(lambda T, a, b: F(T).huber_loss(a, b, delta=0.0), randn(3), randn(3))
    check_error(lambda T, a, b: F(T).mse_loss(a, b, reduction="avg"), randn(3), randn(3))
    check_error(lambda T, a, b, w: F(T).mse_loss(a, b, weight=w), randn(3), randn(3), randn(2))


def test_elementwise_weight_of_mse_l1_and_huber():
    x, y, w = randn(2, 3), randn(2, 3), randn(2, 3, low=0.1)
    for name in ("mse_loss", "l1_loss", "huber_loss"):
        for red in REDUCTIONS:
            check(lambda T, a, b, name=name, red=red: getattr(F(T), name)(
                a, b, reduction=red, weight=const(T, w)), x, y)


@pytest.mark.parametrize("size_average,reduce", [(None, False), (False, None), (True, True),
                                                 (False, True), (True, False)])
def test_legacy_size_average_and_reduce_map_to_a_reduction_with_a_warning(size_average,
                                                                          reduce):
    x, y = randn(3, 2), randn(3, 2)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        check(lambda T, a, b: F(T).mse_loss(a, b, size_average=size_average, reduce=reduce),
              x, y)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        t = classes(3, C=2)
        check(lambda T, a: F(T).nll_loss(a, const(T, t), size_average=size_average,
                                         reduce=reduce), x)


# ---------------------------------------------------------------------------------------
# cross entropy and nll


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices(reduction, dtype):
    x, t = randn(6, 5, dtype=dtype), classes(6)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t), reduction=reduction), x)
    w = randn(5, dtype=dtype, low=0.2)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t), weight=const(T, w),
                                          reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5,), (2, 5, 3), (2, 5, 3, 2), (2, 5, 2, 1, 2)])
def test_cross_entropy_and_nll_on_unbatched_and_nd_inputs(shape, reduction):
    x = randn(*shape)
    tshape = (shape[0],) + shape[2:] if len(shape) > 1 else ()
    t = classes(*tshape)
    t.reshape(-1)[:1] = -100
    check(lambda T, a: F(T).cross_entropy(a, const(T, t), reduction=reduction), x)
    check(lambda T, a: F(T).nll_loss(a, const(T, t), reduction=reduction), x)
    w = randn(5, low=0.2)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t), weight=const(T, w),
                                          reduction=reduction, label_smoothing=0.15), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_ignore_index_and_label_smoothing(reduction):
    x, t = randn(6, 5), np.array([0, 3, 3, 1, 4, 3])
    w = randn(5, low=0.2)
    for kw in ({"ignore_index": 3}, {"label_smoothing": 0.2},
               {"label_smoothing": 0.2, "ignore_index": 3},
               {"label_smoothing": 1.0, "ignore_index": 3}):
        check(lambda T, a, kw=kw: F(T).cross_entropy(a, const(T, t), reduction=reduction, **kw), x)
        check(lambda T, a, kw=kw: F(T).cross_entropy(a, const(T, t), weight=const(T, w),
                                              reduction=reduction, **kw), x)


def test_cross_entropy_all_targets_ignored_gives_nan_mean_and_zero_sum():
    x, t = randn(3, 4), np.full(3, -100)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t)), x)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t), reduction="sum"), x)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t), label_smoothing=0.1), x)


def test_cross_entropy_empty_batch():
    x, t = randn(0, 4), classes(0, C=4)
    for red in REDUCTIONS:
        check(lambda T, a, red=red: F(T).cross_entropy(a, const(T, t), reduction=red), x)


def test_cross_entropy_uint8_targets_and_non_contiguous_logits():
    x, t = non_contiguous(randn(4, 6)), classes(4, C=6).astype(np.uint8)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t)), x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_cross_entropy_many_rows_few_classes(dtype):
    # the row max is taken column by column when there are many rows and few classes
    x, t = randn(200, 7, dtype=dtype), classes(200, C=7)
    x[3] = [-1e4, 1e4, 0, 5, -5, 1e4, 2]
    x[4] = -np.inf
    x[4, 2] = 0
    t[4] = 2
    for red in REDUCTIONS:
        check(lambda T, a, red=red: F(T).cross_entropy(a, const(T, t), reduction=red), x)


def test_cross_entropy_is_stable_for_huge_logits():
    x = (randn(4, 5) * 1e4).astype(np.float32)
    t = classes(4)
    check(lambda T, a: F(T).cross_entropy(a, const(T, t), reduction="none"), x,
          rtol=1e-5, atol=1e-2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_probabilities_with_target_grad(reduction, dtype):
    x, p = randn(4, 5, dtype=dtype), probs(4, 5, dtype=dtype)
    check(lambda T, a, b: F(T).cross_entropy(a, b, reduction=reduction), x, p)
    check(lambda T, a, b: F(T).cross_entropy(a, b, reduction=reduction, label_smoothing=0.3), x, p)
    w = randn(5, dtype=dtype, low=0.2)
    check(lambda T, a, b, c: F(T).cross_entropy(a, b, weight=c, reduction=reduction), x, p, w)
    x3, p3 = randn(2, 5, 3, dtype=dtype), probs(2, 5, 3, dtype=dtype)
    check(lambda T, a, b: F(T).cross_entropy(a, b, reduction=reduction), x3, p3)


def test_cross_entropy_probabilities_promote_the_target_dtype():
    # float64 result, but the log_softmax is taken in float32: float32's precision
    check(lambda T, a, b: F(T).cross_entropy(a, b), randn(3, 4), probs(3, 4, dtype=np.float64),
          rtol=1e-6, atol=1e-7)


def test_cross_entropy_gradcheck_and_double_backward():
    x, t = randn(4, 5, dtype=np.float64), classes(4)
    w = randn(5, dtype=np.float64, low=0.2)
    p = probs(4, 5, dtype=np.float64)
    cases = [
        lambda T, a: F(T).cross_entropy(a, const(T, t)),
        lambda T, a: F(T).cross_entropy(a, const(T, t), weight=const(T, w), reduction="none"),
        lambda T, a: F(T).cross_entropy(a, const(T, t), weight=const(T, w), ignore_index=t[0],
                                        label_smoothing=0.2),
        lambda T, a: F(T).cross_entropy(a.reshape(2, 5, 2), const(T, t.reshape(2, 2))),
        lambda T, a: F(T).cross_entropy(a, const(T, p), label_smoothing=0.1),
    ]
    for fn in cases:
        assert gradcheck(fn, x)
        assert gradgradcheck(fn, x)
    assert gradcheck(lambda T, a, b, c: F(T).cross_entropy(a, b, weight=c), x, p, w)
    assert gradgradcheck(lambda T, a, b: F(T).cross_entropy(a, b, reduction="sum"), x, p)


def test_cross_entropy_double_backward_matches_torch():
    x, t = randn(3, 4, dtype=np.float64), classes(3, C=4)

    def hessian_vector(T, a):
        loss = F(T).cross_entropy(a, const(T, t), label_smoothing=0.1)
        (g,) = T.autograd.grad(loss, a, create_graph=True)
        return (g * g).sum()

    check(hessian_vector, x)


def test_nll_loss_matches_torch_with_weight_and_ignore_index():
    x, t = randn(6, 5), np.array([0, 1, 4, 2, 2, 3])
    w = randn(5, low=0.2)
    for red in REDUCTIONS:
        check(lambda T, a, red=red: F(T).nll_loss(a, const(T, t), reduction=red), x)
        check(lambda T, a, red=red: F(T).nll_loss(a, const(T, t), weight=const(T, w),
                                                  ignore_index=2, reduction=red), x)
    w64 = w.astype(np.float64)
    assert gradcheck(lambda T, a: F(T).nll_loss(a, const(T, t), weight=const(T, w64)),
                     x.astype(np.float64))
    assert gradgradcheck(lambda T, a: F(T).nll_loss(a, const(T, t), reduction="none"),
                         x.astype(np.float64))


@pytest.mark.parametrize("fn_name", ["cross_entropy", "nll_loss"])
def test_class_index_errors_match_torch(fn_name):
    def run(target, **kw):
        return lambda T, a: getattr(F(T), fn_name)(a, const(T, target), **kw)

    x = randn(3, 5)
    check_error(run(np.array([1, 5, 0])), x)                      # Target 5 is out of bounds.
    check_error(run(np.array([1, -1, 0])), x)
    check_error(run(np.array([1, 2])), x)                         # batch size mismatch
    check_error(run(np.array([1, 2, 0], dtype=np.int32)), x)      # target dtype
    check_error(run(np.array([1., 2., 0.])), x)
    check_error(run(np.array([[1, 2, 0]])), x)
    check_error(lambda T, a: getattr(F(T), fn_name)(a, const(T, np.array([1, 2, 0])),
                                                    weight=T.ones(4)), x)
    check_error(lambda T, a: getattr(F(T), fn_name)(a, const(T, np.array([1, 2, 0])),
                                                    weight=T.ones(5, dtype=T.float64)), x)
    check_error(run(np.array([1, 2, 0]), reduction="foo"), x)
    check_error(run(np.array(1)), randn())                        # 0-d input
    check_error(run(classes(2, 3)), randn(2, 5, 4))               # N-d target size
    check_error(run(classes(2)), randn(2, 5, 4, 3))               # 4-d needs 3-d targets
    check_error(run(classes(2, 3, 3)), randn(2, 5, 4, 3))


def test_cross_entropy_specific_errors_match_torch():
    x = randn(3, 5)
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, classes(3)), label_smoothing=1.5), x)
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, probs(3, 5)), label_smoothing=1.5),
                x)
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, np.array(1.0))), randn())
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, np.array(1))), randn())
    check_error(lambda T, a: F(T).cross_entropy(a.int(), const(T, classes(3))), x)
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, probs(3, 5)), ignore_index=1), x)
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, classes(3, 5))), x)
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, probs(3, 5)), weight=T.ones(2)), x)


def test_class_weights_cannot_require_grad_like_torch():
    check_error(lambda T, a: F(T).cross_entropy(a, const(T, classes(3)),
                                                weight=T.ones(5, requires_grad=True)),
                randn(3, 5))


# ---------------------------------------------------------------------------------------
# binary cross entropy


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction, dtype):
    x, t = probs(3, 4, dtype=dtype), probs(3, 4, dtype=dtype)
    check(lambda T, a, b: F(T).binary_cross_entropy(a, b, reduction=reduction), x, t)
    w = randn(4, dtype=dtype, low=0.1)
    check(lambda T, a, b: F(T).binary_cross_entropy(a, b, weight=const(T, w),
                                                    reduction=reduction), x, t)


def test_binary_cross_entropy_clamps_the_log_at_minus_100():
    x = np.array([0.0, 1.0, 0.0, 1.0], np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0], np.float32)
    check(lambda T, a: F(T).binary_cross_entropy(a, const(T, t), reduction="none"), x)


def test_binary_cross_entropy_gradcheck():
    x, t = probs(3, 4, dtype=np.float64), probs(3, 4, dtype=np.float64)
    assert gradcheck(lambda T, a, b: F(T).binary_cross_entropy(a, b), x, t)
    assert gradgradcheck(lambda T, a, b: F(T).binary_cross_entropy(a, b), x, t)


def test_binary_cross_entropy_errors_match_torch():
    check_error(lambda T, a, b: F(T).binary_cross_entropy(a, b), np.array([1.5], np.float32),
                np.array([1.0], np.float32))
    check_error(lambda T, a, b: F(T).binary_cross_entropy(a, b), probs(3), probs(3, 1))
    check_error(lambda T, a, b: F(T).binary_cross_entropy(a, b), probs(3),
                probs(3, dtype=np.float64))
    check_error(lambda T, a, b: F(T).binary_cross_entropy(a, b, weight=T.ones(3,
                                                                               requires_grad=True)),
                probs(3), probs(3))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy_with_logits(reduction, dtype):
    x, t = randn(3, 4, dtype=dtype) * 5, probs(3, 4, dtype=dtype)
    w, pw = randn(4, dtype=dtype, low=0.1), randn(4, dtype=dtype, low=0.1)
    check(lambda T, a, b: F(T).binary_cross_entropy_with_logits(a, b, reduction=reduction), x, t)
    check(lambda T, a, b: F(T).binary_cross_entropy_with_logits(
        a, b, weight=const(T, w), pos_weight=const(T, pw), reduction=reduction), x, t)


def test_binary_cross_entropy_with_logits_is_stable_and_promotes():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], np.float32)
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    check(lambda T, a: F(T).binary_cross_entropy_with_logits(a, const(T, t), reduction="none"), x)
    # float64 result; torch takes log_sigmoid in float32 first: float32's precision
    check(lambda T, a, b: F(T).binary_cross_entropy_with_logits(a, b), randn(3),
          probs(3, dtype=np.float64), rtol=1e-6, atol=1e-7)


def test_binary_cross_entropy_with_logits_gradcheck_and_errors():
    x, t = randn(3, 4, dtype=np.float64), probs(3, 4, dtype=np.float64)
    pw = randn(4, dtype=np.float64, low=0.1)
    fn = lambda T, a, b: F(T).binary_cross_entropy_with_logits(a, b, pos_weight=const(T, pw))  # noqa: E731
    assert gradcheck(fn, x, t)
    assert gradgradcheck(fn, x, t)
    check_error(lambda T, a, b: F(T).binary_cross_entropy_with_logits(a, b), randn(3),
                probs(3, 1))
    check_error(lambda T, a, b: F(T).binary_cross_entropy_with_logits(
        a, b, pos_weight=T.ones(3, requires_grad=True)), randn(3), probs(3))


# ---------------------------------------------------------------------------------------
# composite losses


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
def test_kl_div(reduction, dtype):
    x, t = randn(3, 4, dtype=dtype), probs(3, 4, dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda T, a, b: F(T).kl_div(a, b, reduction=reduction), x, t)
        check(lambda T, a, b: F(T).kl_div(a, b, reduction=reduction, log_target=True), x,
              np.log(t))
    t0 = t.copy()
    t0[0, 0] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda T, a: F(T).kl_div(a, const(T, t0), reduction="sum"), x)


def test_kl_div_mean_warns_like_torch_and_gradchecks():
    x, t = randn(3, 4, dtype=np.float64), probs(3, 4, dtype=np.float64)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F(ember).kl_div(ember.from_numpy(x), ember.from_numpy(t))
    assert gradcheck(lambda T, a, b: F(T).kl_div(a, b, reduction="batchmean"), x, t)
    assert gradcheck(lambda T, a, b: F(T).kl_div(a, b, reduction="sum", log_target=True), x, t)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_poisson_and_gaussian_nll(reduction):
    x, t = randn(3, 4), (probs(3, 4) * 4).round()
    check(lambda T, a, b: F(T).poisson_nll_loss(a, b, reduction=reduction), x, t)
    check(lambda T, a, b: F(T).poisson_nll_loss(a, b, full=True, reduction=reduction), x, t)
    check(lambda T, a: F(T).poisson_nll_loss(a, const(T, t), log_input=False,
                                             reduction=reduction), np.abs(x))
    v = randn(3, 4, low=0.1)
    v[0, 0] = 1e-8  # clamped to eps in the value, not in the gradient
    check(lambda T, a, b, c: F(T).gaussian_nll_loss(a, b, c, reduction=reduction), x, t, v)
    check(lambda T, a, b, c: F(T).gaussian_nll_loss(a, b, c, full=True, reduction=reduction),
          x, t, v[:, :1])
    check(lambda T, a, b, c: F(T).gaussian_nll_loss(a, b, c, reduction=reduction), x, t, v[:, 0])
    check(lambda T, a, b: F(T).gaussian_nll_loss(a, b, 0.5, reduction=reduction), x, t)


def test_gaussian_nll_errors_match_torch():
    x = randn(3, 4)
    check_error(lambda T, a, c: F(T).gaussian_nll_loss(a, a, c), x, randn(3, 4) - 10)
    check_error(lambda T, a, c: F(T).gaussian_nll_loss(a, a, c), x, randn(2, 4, low=0.1))
    check_error(lambda T, a: F(T).gaussian_nll_loss(a, a, -1.0), x)
    check_error(lambda T, a, c: F(T).gaussian_nll_loss(a, a, c, reduction="x"), x,
                randn(3, 4, low=0.1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_and_embedding_losses(reduction, dtype):
    a, b = randn(4, 5, dtype=dtype), randn(4, 5, dtype=dtype)
    y, y2 = signs(4, dtype=dtype), signs(4, 5, dtype=dtype)
    w = randn(5, dtype=dtype, low=0.1)
    r = reduction
    check(lambda T, p, q: F(T).cosine_embedding_loss(p, q, const(T, y), margin=0.2,
                                                     reduction=r), a, b)
    check(lambda T, p, q: F(T).cosine_embedding_loss(p[0], q[0], const(T, y[0]), reduction=r),
          a, b)
    check(lambda T, p, q: F(T).margin_ranking_loss(p, q, const(T, y2),
                                                   margin=0.1, reduction=r), a, b)
    check(lambda T, p: F(T).hinge_embedding_loss(p, const(T, y2),
                                                 margin=0.5, reduction=r), a)
    check(lambda T, p: F(T).soft_margin_loss(p, const(T, y2),
                                             reduction=r), a)
    tgt = (probs(4, 5, dtype=dtype) > 0.5).astype(dtype)
    check(lambda T, p: F(T).multilabel_soft_margin_loss(p, const(T, tgt), reduction=r), a)
    check(lambda T, p: F(T).multilabel_soft_margin_loss(
        p, const(T, tgt), weight=const(T, w), reduction=r), a)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_losses(reduction):
    a, p, n = randn(4, 5), randn(4, 5), randn(4, 5)
    check(lambda T, x, y, z: F(T).triplet_margin_loss(x, y, z, reduction=reduction), a, p, n)
    check(lambda T, x, y, z: F(T).triplet_margin_loss(x, y, z, p=1, margin=2.0, swap=True,
                                                      reduction=reduction), a, p, n)
    check(lambda T, x, y, z: F(T).triplet_margin_with_distance_loss(
        x, y, z, distance_function=lambda u, v: 1.0 - F(T).cosine_similarity(u, v),
        swap=True, reduction=reduction), a, p, n)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_and_multilabel_margin_losses(reduction):
    x, t = randn(4, 5), np.array([0, 4, 2, 2])
    w = randn(5, low=0.2)
    for p in (1, 2):
        check(lambda T, a, p=p: F(T).multi_margin_loss(a, const(T, t), p=p, margin=0.7,
                                                  reduction=reduction), x)
        check(lambda T, a, p=p: F(T).multi_margin_loss(a, const(T, t), p=p, weight=const(T, w),
                                                  reduction=reduction), x)
    check(lambda T, a: F(T).multi_margin_loss(a, const(T, np.array(3)), reduction=reduction),
          x[0])
    mt = np.array([[3, 0, -1, 1, 1], [1, 2, 3, 4, 0], [-1, 0, 0, 0, 0], [2, -1, 1, 1, 1]])
    check(lambda T, a: F(T).multilabel_margin_loss(a, const(T, mt), reduction=reduction), x)
    check(lambda T, a: F(T).multilabel_margin_loss(a, const(T, mt[0]), reduction=reduction),
          x[0])


def test_composite_losses_gradcheck():
    a, b, n = (randn(3, 4, dtype=np.float64) for _ in range(3))
    y = signs(3, dtype=np.float64)
    t = probs(3, 4, dtype=np.float64)
    mt = np.array([[3, 0, -1, 1], [1, 2, 3, 0], [2, -1, 1, 1]])
    assert gradcheck(lambda T, p, q: F(T).cosine_embedding_loss(p, q, const(T, y)), a, b)
    assert gradcheck(lambda T, p, q, r: F(T).triplet_margin_loss(p, q, r, swap=True), a, b, n)
    assert gradcheck(lambda T, p: F(T).multilabel_soft_margin_loss(p, const(T, t)), a)
    assert gradcheck(lambda T, p: F(T).soft_margin_loss(p, const(T, np.sign(b))), a)
    assert gradcheck(lambda T, p: F(T).multi_margin_loss(p, const(T, np.array([0, 3, 1])), p=2),
                     a)
    assert gradcheck(lambda T, p: F(T).multilabel_margin_loss(p, const(T, mt)), a)
    assert gradcheck(lambda T, p, q, c: F(T).gaussian_nll_loss(p, q, c), a, b,
                     np.abs(n) + 0.1)
    assert gradcheck(lambda T, p, q: F(T).poisson_nll_loss(p, q, full=True), a, np.abs(b) * 3)


def test_composite_loss_errors_match_torch():
    a = randn(3, 4)
    check_error(lambda T, p: F(T).cosine_embedding_loss(p, p, T.ones(3, 1)), a)
    check_error(lambda T, p: F(T).cosine_embedding_loss(p, p, T.ones(())), a)
    check_error(lambda T, p: F(T).cosine_embedding_loss(p[0], p[0], T.ones(3)), a)
    check_error(lambda T, p: F(T).margin_ranking_loss(p, p[0], T.ones(3, 4)), a)
    check_error(lambda T, p: F(T).triplet_margin_loss(p, p, p, margin=0.0), a)
    check_error(lambda T, p: F(T).triplet_margin_loss(p, p, p[0]), a)
    check_error(lambda T, p: F(T).triplet_margin_with_distance_loss(p, p, p, margin=-1.0), a)
    check_error(lambda T, p: F(T).multi_margin_loss(p, T.tensor([0, 1, 9])), a)
    check_error(lambda T, p: F(T).multi_margin_loss(p, T.tensor([0, 1])), a)
    check_error(lambda T, p: F(T).multi_margin_loss(p[0], T.tensor([0, 1])), a)
    check_error(lambda T, p: F(T).multilabel_margin_loss(p, T.tensor([[0, 1, 1, 9]] * 3)), a)
    check_error(lambda T, p: F(T).multi_margin_loss(p, T.tensor([0, 1, 2]), p=3), a)
    check_error(lambda T, p: F(T).multi_margin_loss(p, T.tensor([0, 1, 2]), weight=T.ones(2)),
                a)
    check_error(lambda T, p: F(T).multilabel_margin_loss(p, T.zeros(3, dtype=T.long)), a)
    check_error(lambda T, p: F(T).soft_margin_loss(p, T.ones(3, 4, requires_grad=True)), a)
    check_error(lambda T, p: F(T).multilabel_soft_margin_loss(p, p, reduction="x"), a)


# ---------------------------------------------------------------------------------------
# modules


def lib(nn):
    return torch if nn is torch.nn else ember


MODULE_CASES = [
    ("L1Loss()", lambda nn: nn.L1Loss(), lambda: (randn(3, 4), randn(3, 4))),
    ("MSELoss(reduction='sum')", lambda nn: nn.MSELoss(reduction="sum"),
     lambda: (randn(3, 4), randn(3, 4))),
    ("SmoothL1Loss", lambda nn: nn.SmoothL1Loss(beta=0.5), lambda: (randn(3, 4), randn(3, 4))),
    ("HuberLoss", lambda nn: nn.HuberLoss(delta=0.5, reduction="none"),
     lambda: (randn(3, 4), randn(3, 4))),
    ("CrossEntropyLoss", lambda nn: nn.CrossEntropyLoss(label_smoothing=0.1, ignore_index=1),
     lambda: (randn(4, 5), np.array([0, 1, 2, 4]))),
    ("CrossEntropyLoss weight",
     lambda nn: nn.CrossEntropyLoss(weight=lib(nn).arange(1.0, 6.0)),
     lambda: (randn(4, 5, 2), classes(4, 2))),
    ("NLLLoss", lambda nn: nn.NLLLoss(reduction="sum"), lambda: (randn(4, 5), classes(4))),
    ("NLLLoss2d", lambda nn: nn.NLLLoss2d(), lambda: (randn(2, 5, 2, 2), classes(2, 2, 2))),
    ("NLLLoss 1-d", lambda nn: nn.NLLLoss(ignore_index=2), lambda: (randn(5), np.array(2))),
    ("BCELoss", lambda nn: nn.BCELoss(), lambda: (probs(3, 4), probs(3, 4))),
    ("BCEWithLogitsLoss", lambda nn: nn.BCEWithLogitsLoss(
        pos_weight=lib(nn).ones(4) * 2),
     lambda: (randn(3, 4), probs(3, 4))),
    ("KLDivLoss", lambda nn: nn.KLDivLoss(reduction="batchmean", log_target=True),
     lambda: (randn(3, 4), randn(3, 4))),
    ("PoissonNLLLoss", lambda nn: nn.PoissonNLLLoss(full=True), lambda: (randn(3, 4),
                                                                        probs(3, 4) * 3)),
    ("GaussianNLLLoss", lambda nn: nn.GaussianNLLLoss(full=True),
     lambda: (randn(3, 4), randn(3, 4), randn(3, 4, low=0.1))),
    ("HingeEmbeddingLoss", lambda nn: nn.HingeEmbeddingLoss(margin=0.5),
     lambda: (randn(3, 4), signs(3, 4))),
    ("MultiLabelMarginLoss", lambda nn: nn.MultiLabelMarginLoss(),
     lambda: (randn(2, 4), np.array([[1, -1, 0, 0], [3, 2, -1, 0]]))),
    ("SoftMarginLoss", lambda nn: nn.SoftMarginLoss(), lambda: (randn(3, 4), signs(3, 4))),
    ("MultiLabelSoftMarginLoss", lambda nn: nn.MultiLabelSoftMarginLoss(),
     lambda: (randn(3, 4), (probs(3, 4) > 0.5).astype(np.float32))),
    ("CosineEmbeddingLoss", lambda nn: nn.CosineEmbeddingLoss(margin=0.3),
     lambda: (randn(3, 4), randn(3, 4), signs(3))),
    ("MarginRankingLoss", lambda nn: nn.MarginRankingLoss(margin=0.3),
     lambda: (randn(5), randn(5), signs(5))),
    ("MultiMarginLoss", lambda nn: nn.MultiMarginLoss(p=2, margin=0.5),
     lambda: (randn(3, 4), classes(3, C=4))),
    ("TripletMarginLoss", lambda nn: nn.TripletMarginLoss(margin=0.5, p=1, swap=True),
     lambda: (randn(3, 4), randn(3, 4), randn(3, 4))),
    ("TripletMarginWithDistanceLoss", lambda nn: nn.TripletMarginWithDistanceLoss(swap=True),
     lambda: (randn(3, 4), randn(3, 4), randn(3, 4))),
]


@pytest.mark.filterwarnings("ignore:`NLLLoss2d` has been deprecated")
@pytest.mark.parametrize("label,build,make", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_loss_modules_match_torch(label, build, make):
    arrays = make()
    if label in ("SoftMarginLoss", "BCELoss", "MultiLabelSoftMarginLoss", "HingeEmbeddingLoss",
                 "CosineEmbeddingLoss", "MarginRankingLoss"):
        # the last array is a target torch cannot differentiate (or one we keep constant)
        *ins, tgt = arrays

        def forward(m, *a):
            lib = torch if isinstance(a[0], torch.Tensor) else ember
            return m(*a, lib.from_numpy(tgt.copy()))

        check_module(build, *ins, forward=forward)
        return
    check_module(build, *arrays)


def test_loss_module_reprs_and_state_dicts_match_torch():
    for name in ("CrossEntropyLoss", "NLLLoss", "BCELoss", "MultiMarginLoss",
                 "MultiLabelSoftMarginLoss"):
        e, t = getattr(ember.nn, name)(), getattr(torch.nn, name)()
        assert repr(e) == repr(t) == f"{name}()"
        assert list(e.state_dict()) == list(t.state_dict())
    e = ember.nn.CrossEntropyLoss(weight=ember.ones(3))
    t = torch.nn.CrossEntropyLoss(weight=torch.ones(3))
    assert list(e.state_dict()) == list(t.state_dict()) == ["weight"]
    assert repr(ember.nn.TripletMarginWithDistanceLoss()) == repr(
        torch.nn.TripletMarginWithDistanceLoss())
    assert list(ember.nn.BCEWithLogitsLoss(pos_weight=ember.ones(2)).state_dict()) == \
        list(torch.nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)).state_dict())


def test_nll_loss_2d_is_deprecated_like_torch():
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        ember.nn.NLLLoss2d()


def test_loss_module_legacy_arguments_set_reduction_like_torch():
    with pytest.warns(UserWarning):
        e = ember.nn.MSELoss(size_average=False)
    with pytest.warns(UserWarning):
        t = torch.nn.MSELoss(size_average=False)
    assert e.reduction == t.reduction == "sum"
    with pytest.warns(UserWarning):
        assert ember.nn.CrossEntropyLoss(reduce=False).reduction == "none"


def test_loss_module_constructor_errors_match_torch():
    for build in (lambda nn: nn.TripletMarginLoss(margin=0.0),
                  lambda nn: nn.TripletMarginWithDistanceLoss(margin=-1.0),
                  lambda nn: nn.MultiMarginLoss(p=3)):
        check_error(lambda T, build=build: build(T.nn))
    check_error(lambda T: T.nn.MultiMarginLoss(weight=T.ones(2, 2)))


# ---------------------------------------------------------------------------------------
# CTC


def _ctc_problem(dtype=np.float64):
    T_, N, C = 6, 3, 5
    logits = randn(T_, N, C, dtype=dtype)
    targets = np.array([[2, 2, 3], [1, 4, 0], [3, 0, 0]])   # a repeated label in sample 0
    return logits, targets, np.array([6, 5, 4]), np.array([3, 2, 1])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_matches_torch(reduction, zero_infinity, dtype):
    logits, tg, il, tl = _ctc_problem(dtype)

    def run(T, x, il=il, tl=tl, tg=tg):
        return F(T).ctc_loss(x.log_softmax(2), const(T, tg), const(T, il), const(T, tl),
                             reduction=reduction, zero_infinity=zero_infinity)

    check(run, logits)
    # inputs too short for their targets: infinite losses (zeroed with zero_infinity)
    check(lambda T, x: run(T, x[:2], il=np.array([2, 2, 2])), logits)


def test_ctc_loss_target_formats_blank_and_unbatched_input():
    logits, tg, il, tl = _ctc_problem()
    cat = np.concatenate([tg[0, :3], tg[1, :2], tg[2, :1]])
    check(lambda T, x: F(T).ctc_loss(x.log_softmax(2), const(T, cat), tuple(il), tuple(tl)),
          logits)
    check(lambda T, x: F(T).ctc_loss(x.log_softmax(2), const(T, tg), list(il), [0, 2, 1],
                                     reduction="none"), logits)
    check(lambda T, x: F(T).ctc_loss(x.log_softmax(2), const(T, tg - 1), list(il), list(tl),
                                     blank=4, reduction="none"), logits)
    check(lambda T, x: F(T).ctc_loss(x[:, 0].log_softmax(1), const(T, tg[0]), T.tensor(6),
                                     T.tensor(3), reduction="none"), logits)


def test_ctc_loss_gradcheck_through_log_softmax():
    logits, tg, il, tl = _ctc_problem()
    assert gradcheck(lambda T, x: F(T).ctc_loss(x.log_softmax(2), const(T, tg), const(T, il),
                                                const(T, tl)), logits)


def test_ctc_loss_errors_match_torch():
    logits, tg, il, tl = _ctc_problem(np.float32)

    def run(tg=tg, il=il, tl=tl, **kw):
        return lambda T, x: F(T).ctc_loss(x, const(T, tg), const(T, il), const(T, tl), **kw)

    check_error(run(tl=tl[:2]), logits)
    check_error(run(il=il[:2]), logits)
    check_error(run(il=np.array([7, 5, 4])), logits)
    check_error(run(tl=np.array([4, 2, 1])), logits)
    check_error(run(tg=tg[:2]), logits)
    check_error(run(blank=5), logits)
    check_error(run(tg=tg.reshape(-1)[:5]), logits)


def test_ctc_loss_module_matches_torch():
    logits, tg, il, tl = _ctc_problem(np.float32)
    lp = np.asarray(torch.from_numpy(logits).log_softmax(2))

    def forward(m, x):
        lib = torch if isinstance(x, torch.Tensor) else ember
        return m(x, lib.from_numpy(tg.copy()), lib.from_numpy(il.copy()),
                 lib.from_numpy(tl.copy()))

    check_module(lambda nn: nn.CTCLoss(), lp, forward=forward)
    check_module(lambda nn: nn.CTCLoss(blank=0, reduction="sum", zero_infinity=True), lp,
                 forward=forward)
