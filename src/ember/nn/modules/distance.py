"""PairwiseDistance and CosineSimilarity (torch.nn.modules.distance)."""

from __future__ import annotations

from ...ops.distance import cosine_similarity, pairwise_distance
from .module import Module

__all__ = ["PairwiseDistance", "CosineSimilarity"]


class PairwiseDistance(Module):
    """|x1 - x2 + eps|_p over the last dimension.

    Args:
        p: the norm degree (default 2).
        eps: added to the difference to avoid division by zero (default 1e-6).
        keepdim: keep the reduced dimension (default False).

    Shape:
        x1 (N, D) or (D), x2 broadcastable to it -> (N) or () (keepdim: (N, 1) or (1)).
    """

    __constants__ = ["norm", "eps", "keepdim"]

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)


class CosineSimilarity(Module):
    """<x1, x2> / (max(|x1|, eps) max(|x2|, eps)) along `dim`.

    Shape:
        x1 (*1, D, *2), x2 broadcastable to it -> (*1, *2).
    """

    __constants__ = ["dim", "eps"]

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)
