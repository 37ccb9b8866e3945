"""ember.save / ember.load against torch.save / torch.load (files cross both ways),
the restricted unpickler, atomic writes, corrupt files, and ember.utils.safetensors."""

import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest
import torch

import ember
import ember.serialization as ser

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64",
          "complex64", "complex128"]


def dtype_name(dt):
    return str(dt).rsplit(".", 1)[-1]


def assert_same(e, t, path="obj"):
    """e (ember) and t (torch) hold the same structure, dtypes, shapes and values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"{path}: {type(e)}"
        assert isinstance(e, ember.nn.Parameter) == isinstance(t, torch.nn.Parameter), path
        assert dtype_name(e.dtype) == dtype_name(t.dtype), path
        assert tuple(e.shape) == tuple(t.shape), path
        assert e.requires_grad == t.requires_grad, path
        np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy(), err_msg=path)
    elif isinstance(t, dict):
        assert type(e).__name__ == type(t).__name__ and list(e) == list(t), path
        for k in t:
            assert_same(e[k], t[k], f"{path}[{k!r}]")
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t), path
        for i, (a, b) in enumerate(zip(e, t)):
            assert_same(a, b, f"{path}[{i}]")
    else:
        assert type(e) is type(t) and (e == t or (e != e and t != t)), f"{path}: {e!r} {t!r}"


def to_torch(obj):
    """The torch counterpart of an ember object (built independently of ember.save)."""
    if isinstance(obj, ember.nn.Parameter):
        return torch.nn.Parameter(torch.from_numpy(obj.detach().numpy().copy()),
                                  obj.requires_grad)
    if isinstance(obj, ember.Tensor):
        return torch.from_numpy(obj.detach().numpy().copy()).requires_grad_(obj.requires_grad)
    if isinstance(obj, dict):
        return type(obj)((k, to_torch(v)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_torch(v) for v in obj)
    return obj


def sample(dtype, shape=(2, 3)):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape) * 5
    if dtype == "bool":
        return a > 0
    if dtype.startswith("complex"):
        return (a + 1j * (a - 2)).astype(dtype)
    return a.astype(dtype)


# ---- ember -> torch ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (2, 0, 4)])
def test_ember_tensor_read_by_torch(tmp_path, dtype, shape):
    t = ember.tensor(sample(dtype, shape))
    ember.save(t, tmp_path / "t.pt")
    assert_same(t, torch.load(tmp_path / "t.pt", weights_only=True))


def test_ember_state_dict_read_by_torch(tmp_path):
    w = ember.nn.Parameter(ember.tensor(sample("float32", (4, 3))))
    sd = collections.OrderedDict([
        ("layer.weight", w), ("layer.bias", ember.nn.Parameter(ember.zeros(4), False)),
        ("bn.running_mean", ember.tensor(sample("float64", (4,)))),
        ("bn.num_batches_tracked", ember.tensor(7)),
    ])
    ember.save(sd, tmp_path / "sd.pth")
    loaded = torch.load(tmp_path / "sd.pth", weights_only=True)
    assert_same(sd, loaded)
    assert list(loaded) == list(sd)


def test_ember_nested_containers_and_python_values_read_by_torch(tmp_path):
    obj = {"state": {0: {"step": ember.tensor(3.0), "exp_avg": ember.ones(2, 2)}},
           "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0], "name": None,
                             "amsgrad": False, "eps": float("inf")}],
           "bytes": b"\x00\x01", "list": [1, -2**62, 2.5, "s", (None,)]}
    ember.save(obj, tmp_path / "o.pt")
    assert_same(obj, torch.load(tmp_path / "o.pt", weights_only=True))


def test_ember_views_share_storage_in_torch(tmp_path):
    base = ember.arange(12.0).reshape(3, 4)
    obj = {"base": base, "row": base[1], "col": base[:, 2], "t": base.t(),
           "expanded": ember.arange(3.0).expand(2, 3)}
    ember.save(obj, tmp_path / "v.pt")
    z = zipfile.ZipFile(tmp_path / "v.pt")
    assert sum(n.split("/")[-2] == "data" for n in z.namelist()) == 2  # two storages
    loaded = torch.load(tmp_path / "v.pt", weights_only=True)
    assert_same(obj, loaded)
    assert loaded["t"].stride() == (1, 4) and loaded["col"].stride() == (4,)
    loaded["base"][1, 2] = 100.0
    assert loaded["row"][2] == 100.0 and loaded["col"][1] == 100.0 and loaded["t"][2, 1] == 100


def test_ember_archive_layout_matches_torch(tmp_path):
    ember.save({"x": ember.ones(2)}, tmp_path / "model.pt")
    torch.save({"x": torch.ones(2)}, tmp_path / "ref.pt")
    ours = zipfile.ZipFile(tmp_path / "model.pt")
    ref = zipfile.ZipFile(tmp_path / "ref.pt")
    strip = {n.split("/", 1)[1] for n in ref.namelist()} - {".data/serialization_id"}
    assert {n.split("/", 1)[1] for n in ours.namelist()} == strip
    assert all(n.startswith("model/") for n in ours.namelist())
    for name in ("version", "byteorder", ".format_version", ".storage_alignment"):
        assert ours.read(f"model/{name}") == ref.read(f"ref/{name}")
    for info in ours.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
        if "/data/" in info.filename:  # storages start 64-byte aligned, as torch writes
            assert (info.header_offset + 30 + len(info.filename) + len(info.extra)) % 64 == 0
    assert ours.read("model/data.pkl") == ref.read("ref/data.pkl")


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    ember.save([ember.ones(2), 3], buf)
    buf.seek(0)
    assert_same([ember.ones(2), 3], torch.load(buf, weights_only=True))
    buf = io.BytesIO()
    torch.save([torch.ones(2), 3], buf)
    buf.seek(0)
    assert_same(ember.load(buf), [torch.ones(2), 3])


# ---- torch -> ember ------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_tensor_read_by_ember(tmp_path, dtype):
    t = torch.from_numpy(sample(dtype))
    torch.save({"t": t, "nc": t.t(), "scalar": t[1, 1]}, tmp_path / "t.pt")
    assert_same(ember.load(tmp_path / "t.pt"), {"t": t, "nc": t.t(), "scalar": t[1, 1]})


def test_torch_module_state_dict_read_by_ember(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4),
                                torch.nn.Conv1d(1, 2, 3))
    model[1].train()
    model[1](model[0](torch.randn(5, 3)))  # running stats and num_batches_tracked move
    sd = model.state_dict()
    torch.save(sd, tmp_path / "m.pth")
    loaded = ember.load(tmp_path / "m.pth", map_location="cpu")
    assert isinstance(loaded, collections.OrderedDict)
    assert list(loaded) == list(sd)
    assert_same(loaded, sd)
    assert loaded["1.num_batches_tracked"].dtype == ember.int64


def test_torch_parameters_and_optimizer_state_read_by_ember(tmp_path):
    torch.manual_seed(0)
    lin = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(lin.parameters(), lr=0.01)
    lin(torch.randn(4, 3)).sum().backward()
    opt.step()
    obj = {"params": list(lin.parameters()), "opt": opt.state_dict(), "epoch": 3}
    torch.save(obj, tmp_path / "ckpt.pt")
    loaded = ember.load(tmp_path / "ckpt.pt")
    assert_same(loaded, obj)
    assert isinstance(loaded["params"][0], ember.nn.Parameter)
    assert loaded["params"][0].requires_grad


def test_torch_views_come_back_sharing_memory(tmp_path):
    base = torch.arange(10.0)
    torch.save({"base": base, "view": base[2:8:2], "m": base.view(2, 5).t()}, tmp_path / "v.pt")
    loaded = ember.load(tmp_path / "v.pt")
    assert loaded["view"].stride() == (2,) and loaded["view"].storage_offset() == 2
    loaded["base"][4] = -1.0
    assert loaded["view"].tolist() == [2.0, -1.0, 6.0]
    assert loaded["m"][4, 0] == -1.0


def test_shared_tensor_object_comes_back_once(tmp_path):
    t = ember.ones(3)
    ember.save({"a": t, "b": t, "c": [t]}, tmp_path / "s.pt")
    loaded = ember.load(tmp_path / "s.pt")
    assert loaded["a"] is loaded["b"] is loaded["c"][0]
    tl = torch.load(tmp_path / "s.pt", weights_only=True)
    assert tl["a"] is tl["b"]


def test_ember_round_trip_keeps_parameter_and_requires_grad(tmp_path):
    p = ember.nn.Parameter(ember.ones(2, 2))
    r = ember.ones(3).requires_grad_()
    ember.save((p, r, ember.zeros(1), r * 2), tmp_path / "p.pt")
    lp, lr, lz, nonleaf = ember.load(tmp_path / "p.pt")
    assert isinstance(lp, ember.nn.Parameter) and lp.requires_grad
    assert lr.requires_grad and not isinstance(lr, ember.nn.Parameter)
    assert not lz.requires_grad
    # a non-leaf comes back as a leaf that requires grad, as torch.load gives it
    assert nonleaf.requires_grad and nonleaf.grad_fn is None and nonleaf.tolist() == [2.0] * 3
    t = torch.load(tmp_path / "p.pt", weights_only=True)[3]
    assert t.requires_grad and t.is_leaf


def test_bfloat16_is_converted_to_float32_with_a_warning(tmp_path):
    t = torch.tensor([1.5, -2.0, 3.140625, 1e30], dtype=torch.bfloat16)
    torch.save(t, tmp_path / "b.pt")
    with pytest.warns(UserWarning, match="bfloat16"):
        loaded = ember.load(tmp_path / "b.pt")
    assert loaded.dtype == ember.float32
    np.testing.assert_array_equal(loaded.numpy(), t.float().numpy())


def test_size_dtype_and_device_cross_both_ways(tmp_path):
    torch.save({"shape": torch.Size([2, 3]), "dtype": torch.float64, "b": torch.bool,
                "dev": torch.device("cpu")}, tmp_path / "g.pt")
    loaded = ember.load(tmp_path / "g.pt")
    assert loaded["shape"] == (2, 3) and type(loaded["shape"]) is type(ember.ones(1).shape)
    assert loaded["dtype"] is ember.float64 and loaded["b"] is ember.bool
    assert str(loaded["dev"]) == "cpu"
    ember.save({"shape": ember.ones(2, 3).shape, "dtype": ember.int16,
                "dev": ember.ones(1).device}, tmp_path / "e.pt")
    back = torch.load(tmp_path / "e.pt", weights_only=True)
    assert back == {"shape": torch.Size([2, 3]), "dtype": torch.int16,
                    "dev": torch.device("cpu")}


# ---- safety --------------------------------------------------------------------------
class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _zip_with_pickle(path, payload: bytes):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", payload)
        z.writestr("archive/version", b"3\n")


def test_malicious_global_in_checkpoint_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    _zip_with_pickle(tmp_path / "evil.pt", pickle.dumps({"w": Exploit(marker)}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        ember.load(tmp_path / "evil.pt")
    assert not marker.exists()


def test_malicious_plain_pickle_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Exploit(marker)))
    with pytest.raises(pickle.UnpicklingError):
        ember.load(tmp_path / "evil.pkl")
    assert not marker.exists()


def test_other_globals_refused_unless_weights_only_false(tmp_path):
    torch.save({"c": collections.Counter("aab")}, tmp_path / "c.pt")
    with pytest.raises(pickle.UnpicklingError, match="collections.Counter"):
        ember.load(tmp_path / "c.pt")
    assert ember.load(tmp_path / "c.pt", weights_only=False)["c"]["a"] == 2


# ---- atomic writes and broken files ----------------------------------------------------
def test_failed_save_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    ember.save({"v": ember.ones(3)}, path)
    real = ser._write_member
    calls = []

    def failing(zf, name, data, align=64):
        calls.append(name)
        if "/data/" in name:
            raise OSError("disk full (simulated)")
        real(zf, name, data, align)
    monkeypatch.setattr(ser, "_write_member", failing)
    with pytest.raises(OSError, match="simulated"):
        ember.save({"v": ember.zeros(1000)}, path)
    assert any("data.pkl" in c for c in calls)  # it failed midway, after writing data.pkl
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # no temporary file left behind
    np.testing.assert_array_equal(ember.load(path)["v"].numpy(), np.ones(3, np.float32))


def test_failed_first_save_creates_no_file(tmp_path, monkeypatch):
    monkeypatch.setattr(ser, "_write_member", lambda *a, **k: (_ for _ in ()).throw(
        KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        ember.save(ember.ones(2), tmp_path / "new.pt")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.9, 0.99])
def test_truncated_file_gives_a_clear_error(tmp_path, keep):
    path = tmp_path / "trunc.pt"
    torch.save({"w": torch.randn(64, 64)}, path)
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * keep)])
    with pytest.raises(RuntimeError, match="trunc.pt") as info:
        ember.load(path)
    assert "truncated" in str(info.value) or "corrupt" in str(info.value)


def test_corrupt_storage_bytes_give_a_clear_error(tmp_path):
    path = tmp_path / "bad.pt"
    ember.save({"w": ember.ones(256)}, path)
    raw = bytearray(path.read_bytes())
    i = raw.index(np.ones(16, np.float32).tobytes())
    raw[i:i + 8] = b"\xff" * 8  # CRC no longer matches
    path.write_bytes(bytes(raw))
    with pytest.raises(RuntimeError, match="bad.pt.*corrupt|corrupt.*bad.pt"):
        ember.load(path)


def test_storage_of_wrong_size_gives_a_clear_error(tmp_path):
    path = tmp_path / "short.pt"
    torch.save(torch.ones(4), path)
    src = zipfile.ZipFile(path)
    with zipfile.ZipFile(tmp_path / "short2.pt", "w") as dst:
        for n in src.namelist():
            dst.writestr(n, src.read(n)[:8] if n.endswith("data/0") else src.read(n))
    with pytest.raises(RuntimeError, match="holds 8 bytes but its storage needs 16"):
        ember.load(tmp_path / "short2.pt")
    with zipfile.ZipFile(tmp_path / "odd.pt", "w") as dst:
        for n in src.namelist():
            dst.writestr(n, src.read(n)[:7] if n.endswith("data/0") else src.read(n))
    with pytest.raises(RuntimeError, match="holds 7 bytes but its storage needs 16"):
        ember.load(tmp_path / "odd.pt")


def test_empty_and_garbage_files(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(RuntimeError, match="empty.pt.*empty"):
        ember.load(tmp_path / "empty.pt")
    (tmp_path / "junk.pt").write_bytes(b"hello, not a checkpoint" * 10)
    with pytest.raises(RuntimeError, match="junk.pt.*not a torch checkpoint"):
        ember.load(tmp_path / "junk.pt")
    with pytest.raises(FileNotFoundError):
        ember.load(tmp_path / "missing.pt")


def test_legacy_torch_format_is_reported(tmp_path):
    torch.save(torch.ones(2), tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="legacy"):
        ember.load(tmp_path / "old.pt")


# ---- safetensors ---------------------------------------------------------------------
def test_safetensors_round_trip_with_torch(tmp_path):
    pytest.importorskip("safetensors")
    import safetensors.torch as st_torch

    from ember.utils import safetensors as st
    tensors = {f"t_{d}": ember.tensor(sample(d)) for d in DTYPES if d != "complex128"}
    tensors["view"] = ember.arange(12.0).reshape(3, 4).t()
    tensors["scalar"] = ember.tensor(2.5)
    st.save_file(tensors, tmp_path / "e.safetensors", metadata={"format": "pt"})
    loaded = st_torch.load_file(tmp_path / "e.safetensors")
    assert_same(tensors, {k: loaded[k] for k in tensors})

    ref = {"w": torch.randn(3, 2), "i": torch.arange(4, dtype=torch.int32)}
    st_torch.save_file(ref, tmp_path / "t.safetensors")
    back = st.load_file(tmp_path / "t.safetensors")
    assert_same({k: back[k] for k in ref}, ref)
    back["w"][0, 0] = 1.0  # writable


def test_safetensors_bytes_and_errors():
    pytest.importorskip("safetensors")
    from ember.utils import safetensors as st
    data = st.save({"a": ember.ones(2, dtype=ember.float64)})
    assert st.load(data)["a"].dtype == ember.float64
    with pytest.raises(TypeError, match="not an ember Tensor"):
        st.save({"a": [1, 2]})
    with pytest.raises(Exception, match="complex128"):  # not in the safetensors format
        st.save({"a": ember.ones(2, dtype=ember.complex128)})


def test_module_state_dicts_cross_both_ways(tmp_path):
    """An ember Linear's state_dict loads into torch's Linear and back: same outputs."""
    ember.manual_seed(0)
    e_lin = ember.nn.Linear(3, 2)
    ember.save(e_lin.state_dict(), tmp_path / "lin.pt")
    t_lin = torch.nn.Linear(3, 2)
    t_lin.load_state_dict(torch.load(tmp_path / "lin.pt", weights_only=True))
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(e_lin(ember.tensor(x)).detach().numpy(),
                               t_lin(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)

    torch.nn.init.normal_(t_lin.weight)
    torch.save(t_lin.state_dict(), tmp_path / "lin2.pt")
    e_lin.load_state_dict(ember.load(tmp_path / "lin2.pt"))
    np.testing.assert_allclose(e_lin(ember.tensor(x)).detach().numpy(),
                               t_lin(torch.from_numpy(x)).detach().numpy(), rtol=1e-6)
