"""ember.datasets: MNIST-1D exactly as the mnist1d package generates it, scikit-learn's
digits, MNIST / Fashion-MNIST from IDX files written here byte by byte, transforms."""

import gzip
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import ember
from ember import datasets

mnist1d_data = pytest.importorskip("mnist1d.data")
sklearn_datasets = pytest.importorskip("sklearn.datasets")

# one MNIST-1D build shared by the test files of a session (and later sessions)
CACHE = os.path.join(tempfile.gettempdir(), f"ember-test-cache-{os.getuid()}")


@pytest.fixture(scope="module")
def paper():
    """The paper's dataset straight from its generator, default arguments."""
    return mnist1d_data.make_dataset(mnist1d_data.get_dataset_args())


@pytest.fixture(autouse=True)
def _cache(monkeypatch):
    monkeypatch.setenv("EMBER_HOME", CACHE)


def test_mnist1d_is_the_papers_dataset(paper, tmp_path):
    train = datasets.MNIST1D(root=tmp_path, train=True)   # a real build, then the cache
    test = datasets.MNIST1D(root=tmp_path, train=False)
    assert len(train) == 4000 and len(test) == 1000
    assert train.data.shape == (4000, 40) and train.data.dtype == ember.float32
    assert train.targets.dtype == ember.int64
    np.testing.assert_array_equal(train.data.numpy(), paper["x"].astype(np.float32))
    np.testing.assert_array_equal(test.data.numpy(), paper["x_test"].astype(np.float32))
    np.testing.assert_array_equal(train.targets.numpy(), paper["y"])
    np.testing.assert_array_equal(test.targets.numpy(), paper["y_test"])
    x, y = train[7]
    assert isinstance(y, int) and y == int(paper["y"][7])
    np.testing.assert_array_equal(x.numpy(), paper["x"][7].astype(np.float32))
    assert sorted(set(paper["y"].tolist())) == list(range(10))


@pytest.fixture
def builds(monkeypatch, paper):
    """Count builds; each returns the paper's arrays (without generating them again)."""
    from ember.datasets import small

    calls = []

    def build():
        calls.append(1)
        return {"x": paper["x"].astype(np.float32), "y": paper["y"].astype(np.int64),
                "x_test": paper["x_test"].astype(np.float32),
                "y_test": paper["y_test"].astype(np.int64),
                "t": np.asarray(paper["t"], dtype=np.float32)}
    monkeypatch.setattr(small, "build_mnist1d", build)
    return calls


def test_mnist1d_built_once_then_read_from_the_cache(tmp_path, paper, builds):
    ds = datasets.MNIST1D(root=tmp_path)
    assert builds == [1]
    assert (tmp_path / "mnist1d.npz").is_file()
    np.testing.assert_array_equal(ds.data.numpy(), paper["x"].astype(np.float32))
    stamp = (tmp_path / "mnist1d.npz").stat().st_mtime_ns
    again = datasets.MNIST1D(root=tmp_path, train=False)
    assert (tmp_path / "mnist1d.npz").stat().st_mtime_ns == stamp and builds == [1]
    np.testing.assert_array_equal(again.targets.numpy(), paper["y_test"])


def test_mnist1d_damaged_cache_is_rebuilt(tmp_path, paper, builds):
    (tmp_path / "mnist1d.npz").write_bytes(b"not a zip file")
    ds = datasets.MNIST1D(root=tmp_path, train=False)
    assert builds == [1]
    np.testing.assert_array_equal(ds.data.numpy(), paper["x_test"].astype(np.float32))


def test_cache_dir_follows_ember_home(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBER_HOME", str(tmp_path))
    assert datasets.cache_dir() == tmp_path
    monkeypatch.delenv("EMBER_HOME")
    assert str(datasets.cache_dir()).endswith(os.path.join(".cache", "ember"))


def test_transforms_and_batch_indexing():
    ds = datasets.MNIST1D(transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    x, y = ds[3]
    np.testing.assert_array_equal(x.numpy(), ds.data[3].numpy() * 2)
    assert y == int(ds.targets[3]) + 100
    xb, yb = ds[[0, 5, 2]]
    assert xb.shape == (3, 40) and yb.tolist() == [int(ds.targets[i]) + 100 for i in (0, 5, 2)]


def test_split_argument():
    assert len(datasets.MNIST1D(split="test")) == 1000
    with pytest.raises(ValueError, match="split must be 'train' or 'test'"):
        datasets.MNIST1D(split="valid")


def test_digits_is_sklearns_digits():
    d = sklearn_datasets.load_digits()
    train, test = datasets.Digits(), datasets.Digits(train=False)
    assert len(train) + len(test) == 1797 and len(train) == 1437
    assert train.data.shape == (1437, 1, 8, 8) and train.data.dtype == ember.float32
    np.testing.assert_allclose(train.data.numpy()[:, 0], d.images[:1437] / 16, rtol=1e-6)
    np.testing.assert_array_equal(test.targets.numpy(), d.target[1437:])
    assert float(train.data.max()) == 1.0 and float(train.data.min()) == 0.0


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """The IDX format: two zero bytes, a type code, the number of dims, big-endian int32
    dims, then the values big-endian."""
    big = {0x08: ">u1", 0x0C: ">i4", 0x0D: ">f4"}[code]
    head = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}i", *array.shape)
    return head + array.astype(big).tobytes()


def write_mnist(folder, n_train=6, n_test=4, gz=True, prefix=""):
    rng = np.random.default_rng(0)
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, a in arrays.items():
        data = idx_bytes(a, 0x08)
        if gz:
            (folder / (name + ".gz")).write_bytes(gzip.compress(data))
        else:
            (folder / name).write_bytes(data)
    return arrays


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST])
def test_mnist_from_idx_files(tmp_path, gz, cls):
    arrays = write_mnist(tmp_path, gz=gz)
    train, test = cls(tmp_path), cls(tmp_path, train=False)
    assert len(train) == 6 and len(test) == 4
    assert train.data.shape == (6, 1, 28, 28) and train.data.dtype == ember.float32
    np.testing.assert_allclose(train.data.numpy()[:, 0],
                               arrays["train-images-idx3-ubyte"] / np.float32(255), rtol=1e-6)
    np.testing.assert_array_equal(test.targets.numpy(), arrays["t10k-labels-idx1-ubyte"])
    x, y = test[1]
    assert x.shape == (1, 28, 28) and y == int(arrays["t10k-labels-idx1-ubyte"][1])


def test_mnist_torchvision_layout(tmp_path):
    write_mnist(tmp_path / "MNIST" / "raw")
    assert len(datasets.MNIST(tmp_path)) == 6


def test_mnist_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        datasets.MNIST(tmp_path / "nowhere")
    msg = str(e.value)
    assert "train-images-idx3-ubyte[.gz] not found in" in msg
    assert str((tmp_path / "nowhere").resolve()) in msg and "\n" not in msg


def test_corrupt_idx_files(tmp_path):
    write_mnist(tmp_path, gz=False)
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(ValueError, match="truncated or corrupt"):
        datasets.MNIST(tmp_path)
    path.write_bytes(b"\x01\x02\x03\x04")
    with pytest.raises(ValueError, match="bad magic number"):
        datasets.MNIST(tmp_path)


def test_read_write_idx_round_trip(tmp_path):
    a = np.arange(24, dtype=np.int32).reshape(2, 3, 4) - 5
    (tmp_path / "a.idx").write_bytes(idx_bytes(a, 0x0C))
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "a.idx"), a)
    f = np.linspace(-1, 1, 5, dtype=np.float32)
    datasets.write_idx(tmp_path / "f.idx.gz", f)
    assert gzip.decompress((tmp_path / "f.idx.gz").read_bytes()) == idx_bytes(f, 0x0D)


def test_import_ember_stays_light():
    code = ("import sys, ember, ember.datasets, ember.train, ember.viz, ember.cli; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'sklearn', 'matplotlib', 'tqdm', 'mnist1d', 'torch'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
