"""A map-style dataset over two arrays, with torchvision-style transforms."""

from __future__ import annotations

import numpy as np

from ..creation import tensor
from ..utils.data import Dataset


class ArrayDataset(Dataset):
    """Samples `data[i]` (a float32 tensor) and targets `targets[i]` (an int).

    `data` and `targets` are also exposed whole as tensors, like torchvision's datasets.
    """

    def __init__(self, data: np.ndarray, targets: np.ndarray, transform=None,
                 target_transform=None) -> None:
        self.data = tensor(np.ascontiguousarray(data))
        self.targets = tensor(np.asarray(targets, dtype=np.int64))
        self.transform = transform
        self.target_transform = target_transform

    def __len__(self) -> int:
        return len(self.targets)

    def __getitem__(self, index):
        """One `(sample, target)`; an index list or slice gives a whole batch of tensors
        (so `DataLoader(ds, sampler=BatchSampler(...), batch_size=None)` skips collation)."""
        if isinstance(index, (list, tuple, slice)) or getattr(index, "ndim", 0) > 0:
            if isinstance(index, tuple):
                index = list(index)
            x, y = self.data[index], self.targets[index]
        else:
            x, y = self.data[index], int(self.targets[index])
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __repr__(self) -> str:
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        for name in ("split", "root"):
            if getattr(self, name, None) is not None:
                lines.append(f"    {name.capitalize()}: {getattr(self, name)}")
        if self.transform is not None:
            lines.append(f"    Transform: {self.transform!r}")
        if self.target_transform is not None:
            lines.append(f"    Target transform: {self.target_transform!r}")
        return "\n".join(lines)


def check_split(train: bool | None, split: str | None) -> str:
    if split is None:
        return "train" if (train is None or train) else "test"
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    return split
