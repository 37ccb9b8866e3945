"""A small pytree: tuples, lists, dicts (and namedtuples) of leaves, like torch's."""

from __future__ import annotations


class Spec:
    """The structure of a pytree: a node kind, its keys and children's specs."""

    def __init__(self, kind, keys=None, children=()):
        self.kind, self.keys, self.children = kind, keys, list(children)

    @property
    def num_leaves(self) -> int:
        if self.kind is None:
            return 1
        return sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return (isinstance(other, Spec) and self.kind == other.kind and self.keys == other.keys
                and self.children == other.children)

    def __repr__(self) -> str:
        if self.kind is None:
            return "*"
        inner = ", ".join(map(repr, self.children))
        if self.kind is dict:
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.keys, self.children))
            return "{" + inner + "}"
        if self.kind is list:
            return f"[{inner}]"
        return f"({inner}{',' if len(self.children) == 1 else ''})"


def _is_node(x) -> bool:
    return isinstance(x, (tuple, list, dict))


def tree_flatten(tree):
    if isinstance(tree, dict):
        keys = list(tree)
        parts = [tree_flatten(tree[k]) for k in keys]
        return [v for p in parts for v in p[0]], Spec(dict, keys, [p[1] for p in parts])
    if isinstance(tree, (tuple, list)):
        parts = [tree_flatten(v) for v in tree]
        kind = list if isinstance(tree, list) else type(tree)
        return [v for p in parts for v in p[0]], Spec(kind, None, [p[1] for p in parts])
    return [tree], Spec(None)


def tree_unflatten(leaves, spec: Spec):
    it = iter(leaves)

    def build(s):
        if s.kind is None:
            return next(it)
        children = [build(c) for c in s.children]
        if s.kind is dict:
            return dict(zip(s.keys, children))
        if s.kind is list:
            return children
        if s.kind is tuple:
            return tuple(children)
        return s.kind(*children)  # namedtuple

    return build(spec)


def broadcast_to_and_flatten(prefix, spec: Spec):
    """Flatten `prefix` against `spec`: a leaf of `prefix` covers a whole subtree.
    None where the structures do not match."""
    if not _is_node(prefix) or spec.kind is None:
        if _is_node(prefix):
            return None
        return [prefix] * spec.num_leaves
    if isinstance(prefix, dict) != (spec.kind is dict):
        return None
    if isinstance(prefix, dict):
        if set(prefix) != set(spec.keys):
            return None
        items = [prefix[k] for k in spec.keys]
    else:
        if isinstance(prefix, list) != (spec.kind is list) or len(prefix) != len(spec.children):
            return None
        items = list(prefix)
    out = []
    for p, c in zip(items, spec.children):
        sub = broadcast_to_and_flatten(p, c)
        if sub is None:
            return None
        out.extend(sub)
    return out
