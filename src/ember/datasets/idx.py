"""MNIST and Fashion-MNIST from IDX files (the format of LeCun's and Zalando's files)."""

from __future__ import annotations

import gzip
import pathlib

import numpy as np

from .base import ArrayDataset, check_split

# IDX type codes -> big-endian dtypes
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_IDX_CODES = {np.dtype(v).newbyteorder("="): k for k, v in _IDX_DTYPES.items()}


def _open(path: pathlib.Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def read_idx(path) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a NumPy array in native byte order."""
    path = pathlib.Path(path)
    with _open(path) as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an IDX file (bad magic number)")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int(d) for d in np.frombuffer(raw[4:header], dtype=">i4"))
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - header != count * dtype.itemsize:
        raise ValueError(f"{path} is truncated or corrupt: expected {count} values of shape "
                         f"{shape}, got {(len(raw) - header) // dtype.itemsize}")
    values = np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def write_idx(path, array: np.ndarray) -> None:
    """Write `array` as an IDX file (gzipped when `path` ends in .gz)."""
    array = np.asarray(array)
    code = _IDX_CODES[array.dtype.newbyteorder("=")]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">i4").tobytes()
    body = array.astype(np.dtype(_IDX_DTYPES[code])).tobytes()
    path = pathlib.Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + body)


class MNIST(ArrayDataset):
    """MNIST read from the four IDX files in `root` (or `root/<ClassName>/raw`, torchvision's
    layout): train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
    t10k-labels-idx1-ubyte, each optionally gzipped (.gz).

    Samples are float32 images of shape (1, 28, 28) scaled to [0, 1]; targets are ints.
    Nothing is downloaded: a missing file raises FileNotFoundError naming where to put it.
    """

    files = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
    url = "https://yann.lecun.com/exdb/mnist/"

    def __init__(self, root, train: bool = True, transform=None, target_transform=None,
                 split: str | None = None) -> None:
        self.split = check_split(train, split)
        self.root = root
        images, labels = (self._find(name) for name in self.files[self.split])
        data, targets = read_idx(images), read_idx(labels)
        if data.ndim != 3 or targets.ndim != 1 or len(data) != len(targets):
            raise ValueError(f"{images} and {labels} do not hold matching images (N, H, W) "
                             f"and labels (N,): shapes {data.shape} and {targets.shape}")
        data = (data.astype(np.float32) / 255.0)[:, None]
        super().__init__(data, targets, transform, target_transform)

    def _find(self, name: str) -> pathlib.Path:
        root = pathlib.Path(self.root)
        folders = [root, root / type(self).__name__ / "raw", root / "raw"]
        for folder in folders:
            for candidate in (folder / name, folder / (name + ".gz")):
                if candidate.is_file():
                    return candidate
        raise FileNotFoundError(
            f"{type(self).__name__}: {name}[.gz] not found in {root.resolve()}; put the four "
            f"IDX files ({', '.join(n for pair in self.files.values() for n in pair)}, "
            f"gzipped or not) in that folder (from {self.url})")


class FashionMNIST(MNIST):
    """Fashion-MNIST from IDX files in `root`; same file names and layout as MNIST."""

    url = "https://github.com/zalandoresearch/fashion-mnist"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]
