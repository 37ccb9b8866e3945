"""ember.datasets: small offline datasets for the `ember` command and the course notebooks.

- `MNIST1D`: the MNIST-1D dataset of "Scaling Down Deep Learning" (Greydanus, 2020), built
  offline by the `mnist1d` package's own generator with its default arguments (4000 train /
  1000 test signals of length 40), cached after the first build;
- `Digits`: scikit-learn's bundled 8x8 handwritten digits (1797 images);
- `MNIST`, `FashionMNIST`: read from the usual IDX files (gzipped or not) in `root`.

All are map-style datasets returning `(sample, target)` with torchvision-style `transform`
and `target_transform` callables. scikit-learn and mnist1d are imported only when a
dataset that needs them is built (`pip install ember[data]`).
"""

from .idx import MNIST, FashionMNIST, read_idx, write_idx
from .small import MNIST1D, Digits, cache_dir

__all__ = ["MNIST1D", "Digits", "MNIST", "FashionMNIST", "cache_dir", "read_idx", "write_idx"]
