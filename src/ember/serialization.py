"""ember.save / ember.load: torch's zip checkpoint format, read and written without torch.

A file written by `torch.save` is a zip archive (every member stored uncompressed):

    <name>/data.pkl          the object, pickled (protocol 2)
    <name>/data/<key>        one raw little-endian storage per key
    <name>/version           b"3"
    <name>/byteorder         b"little"
    <name>/.format_version, <name>/.storage_alignment   (b"1", b"64")

In `data.pkl` a tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, OrderedDict())`, where `storage` is a persistent id
`('storage', torch.FloatStorage, key, 'cpu', numel)` naming the zip member; a
Parameter wraps that in `torch._utils._rebuild_parameter(tensor, requires_grad,
OrderedDict())`. Tensors that view the same memory name the same storage key.

`save` writes exactly that (with the same global names, so `torch.load(f,
weights_only=True)` reads ember's files). `load` reads it with a restricted unpickler
that knows only those names plus `collections.OrderedDict` and plain containers;
any other global (a `__reduce__` payload calling `os.system`, say) raises
`pickle.UnpicklingError` before anything runs. Views that shared a storage come back
sharing memory. Saving to a path is atomic: the archive is written to a temporary
file in the same folder and moved over the target with `os.replace` only when
complete.
"""

from __future__ import annotations

import collections
import io
import os
import pickle
import sys
import tempfile
import warnings
import zipfile

import numpy as np

from . import backend, dtypes
from .tensor import Size, Tensor, _address, _root_array

__all__ = ["load", "save"]

# torch's legacy typed-storage class names, one per dtype (how torch.save names them)
_STORAGE_NAMES = {
    "bool": "BoolStorage", "uint8": "ByteStorage", "int8": "CharStorage",
    "int16": "ShortStorage", "int32": "IntStorage", "int64": "LongStorage",
    "float16": "HalfStorage", "float32": "FloatStorage", "float64": "DoubleStorage",
    "complex64": "ComplexFloatStorage", "complex128": "ComplexDoubleStorage",
}
_NP_OF_STORAGE = {name: np.dtype(getattr(dtypes, d.replace("bool", "bool_")).np).newbyteorder("<")
                  for d, name in _STORAGE_NAMES.items()}
_BFLOAT16 = "BFloat16Storage"
_UNTYPED = "UntypedStorage"

_DTYPE_NAMES = {  # torch.<name> dtype globals -> ember dtypes
    "bool": dtypes.bool_, "uint8": dtypes.uint8, "int8": dtypes.int8, "int16": dtypes.int16,
    "int32": dtypes.int32, "int64": dtypes.int64, "float16": dtypes.float16,
    "float32": dtypes.float32, "float64": dtypes.float64, "complex64": dtypes.complex64,
    "complex128": dtypes.complex128,
}


# ---- writing ---------------------------------------------------------------------------
class _Global:
    """A stand-in pickled as the GLOBAL `module name`, without importing `module`."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle requires reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} is only a name in a pickle")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = _Global("torch._utils", "_rebuild_parameter")


class _TorchPickler(pickle._Pickler):
    """Pickles ember tensors the way torch pickles its tensors (see the module docstring).

    The pure-Python Pickler is used because it lets `save` emit GLOBAL opcodes for
    `torch.*` names that need not (and must not) be importable here.
    """

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = {}   # key -> flat little-endian array to write
        self._keys = {}      # id(root array) -> key
        self._roots = []     # keep roots alive so ids stay unique

    def save(self, obj, save_persistent_id=True):
        if type(obj) is _Global:
            self._save_raw_global(obj)
        elif isinstance(obj, Tensor):
            self._save_tensor(obj)
        elif isinstance(obj, dtypes.dtype):  # torch pickles a dtype by name: torch.float32
            self._save_raw_global(_Global("torch", obj.name))
        elif isinstance(obj, Size):
            self.save_reduce(_Global("torch", "Size"), (tuple(obj),), obj=obj)
        elif isinstance(obj, backend.device):
            self.save_reduce(_Global("torch", "device"), (str(obj),), obj=obj)
        else:
            super().save(obj, save_persistent_id)

    def _save_raw_global(self, g):
        memo = self.memo.get(id(g))
        if memo is not None:
            self.write(self.get(memo[0]))
            return
        self.write(pickle.GLOBAL + f"{g.module}\n{g.name}\n".encode("ascii"))
        self.memoize(g)

    def _storage_of(self, t: Tensor):
        """(storage pid, offset, stride) for t, sharing storages between views."""
        data = t._data
        if not isinstance(data, np.ndarray):
            data = t.numpy(force=True) if hasattr(t, "numpy") else np.asarray(data)
        item = data.itemsize
        root = _root_array(data)
        shares = (isinstance(root, np.ndarray) and root.dtype == data.dtype
                  and root.flags.c_contiguous and all(s >= 0 for s in data.strides)
                  and all(s % item == 0 for s in data.strides))
        if shares:
            offset = (_address(data) - _address(root)) // item
            end = offset + sum((n - 1) * s // item for n, s in zip(data.shape, data.strides))
            shares = 0 <= offset and (data.size == 0 or end < root.size)
        if shares:
            flat = root.reshape(-1)
            stride = tuple(s // item for s in data.strides)
        else:  # an unusual layout: save a compact copy as its own storage
            root = flat = np.ascontiguousarray(data).reshape(-1)
            offset = 0
            stride = _contiguous_strides(data.shape)
        key = self._keys.get(id(root))
        if key is None:
            key = str(len(self.storages))
            self._keys[id(root)] = key
            self._roots.append(root)
            self.storages[key] = flat
        name = _STORAGE_NAMES[t.dtype.name]
        pid = ("storage", _Global("torch", name), key, "cpu", int(flat.size))
        return pid, offset, stride

    def _save_tensor(self, t: Tensor):
        from .nn.parameter import Parameter
        memo = self.memo.get(id(t))
        if memo is not None:
            self.write(self.get(memo[0]))
            return
        pid, offset, stride = self._storage_of(t)
        requires_grad = bool(t.requires_grad)
        hooks = collections.OrderedDict()
        if isinstance(t, Parameter):
            inner = _PersistentStorage(pid)
            args = (_Reduced(_REBUILD_TENSOR, (inner, offset, tuple(t.shape), stride, False,
                                               collections.OrderedDict())),
                    requires_grad, hooks)
            self.save_reduce(_REBUILD_PARAMETER, args, obj=t)
        else:
            args = (_PersistentStorage(pid), offset, tuple(t.shape), stride, requires_grad,
                    hooks)
            self.save_reduce(_REBUILD_TENSOR, args, obj=t)

    def persistent_id(self, obj):
        if type(obj) is _PersistentStorage:
            return obj.pid
        return None


class _PersistentStorage:
    """Placeholder pickled as a BINPERSID storage reference."""

    __slots__ = ("pid",)

    def __init__(self, pid):
        self.pid = pid


class _Reduced:
    """A nested `func(*args)` call inside a tensor's reduce arguments."""

    __slots__ = ("func", "args")

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def _contiguous_strides(shape):
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _write_member(zf: zipfile.ZipFile, name: str, data: bytes, align: int = 64) -> None:
    """One stored member whose bytes start at a multiple of `align` (as torch writes)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    header_end = zf.fp.tell() + 30 + len(name.encode("utf-8"))
    pad = (-(header_end + 4)) % align  # 4 bytes of extra-field header, then padding
    info.extra = b"FB" + pad.to_bytes(2, "little") + b"Z" * pad
    zf.writestr(info, data)


def _write_archive(obj, fileobj, archive_name: str) -> None:
    buf = io.BytesIO()
    pickler = _TorchPickler(buf)
    pickler.dump(obj)
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED) as zf:
        _write_member(zf, f"{archive_name}/data.pkl", buf.getvalue())
        _write_member(zf, f"{archive_name}/.format_version", b"1")
        _write_member(zf, f"{archive_name}/.storage_alignment", b"64")
        _write_member(zf, f"{archive_name}/byteorder", b"little")
        for key, flat in pickler.storages.items():
            arr = flat.astype(flat.dtype.newbyteorder("<"), copy=False)
            _write_member(zf, f"{archive_name}/data/{key}", arr.tobytes())
        _write_member(zf, f"{archive_name}/version", b"3\n")


def save(obj, f, pickle_module=None, pickle_protocol=2, _use_new_zipfile_serialization=True):
    """Save `obj` (tensors, Parameters, state_dicts, nested dicts/lists/tuples, numbers,
    strings, None) to `f` in torch's zip format, readable by `torch.load`.

    `f` is a path (written atomically: a temporary file in the same folder is renamed
    over it once complete) or a writable binary file object.
    """
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        archive_name = os.path.splitext(os.path.basename(path))[0] or "archive"
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                                   dir=folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                _write_archive(obj, fh, archive_name)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    else:
        _write_archive(obj, f, "archive")


# ---- reading ---------------------------------------------------------------------------
class _StorageType:
    """What a `torch.*Storage` global unpickles to: the element dtype of a storage."""

    def __init__(self, name):
        self.name = name


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
    flat = storage
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"corrupt tensor record: size {size} and stride {stride} differ "
                           "in length")
    numel = int(np.prod(size)) if size else 1
    if numel > 0:
        last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride))
        if storage_offset < 0 or min(stride, default=0) < 0 or last >= flat.size:
            raise RuntimeError(
                f"corrupt tensor record: a tensor of size {list(size)}, stride {list(stride)} "
                f"and offset {storage_offset} does not fit in its storage of "
                f"{flat.size} elements")
    item = flat.itemsize
    # an ndarray over the storage's buffer: writable, sharing memory with every other
    # tensor of this storage, and with the storage as its base (so storage_offset works)
    arr = np.ndarray(size, dtype=flat.dtype, buffer=flat,
                     offset=storage_offset * item if numel > 0 else 0,
                     strides=tuple(s * item for s in stride))
    if arr.dtype.byteorder == ">" or (arr.dtype.byteorder == "=" and sys.byteorder == "big"):
        arr = arr.astype(arr.dtype.newbyteorder("="))
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None, state=None):
    from .nn.parameter import Parameter
    return Parameter(data, requires_grad)


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    p = _rebuild_parameter(data, requires_grad)
    if state:
        p.__dict__.update(state)
    return p


def _torch_size(dims=()):
    return Size(dims)


_SAFE_BUILTINS = {"set": set, "frozenset": frozenset, "complex": complex,
                  "bytearray": bytearray, "slice": slice, "range": range}


def _allowed_global(module: str, name: str):
    """The object a whitelisted global stands for, or None."""
    if module == "collections" and name == "OrderedDict":
        return collections.OrderedDict
    if module == "torch._utils":
        return {"_rebuild_tensor_v2": _rebuild_tensor_v2,
                "_rebuild_parameter": _rebuild_parameter,
                "_rebuild_parameter_with_state": _rebuild_parameter_with_state}.get(name)
    if module == "torch" and (name in _NP_OF_STORAGE or name == _BFLOAT16):
        return _StorageType(name)
    if module == "torch.storage" and name == _UNTYPED:
        return _StorageType(name)
    if module == "torch" and name in _DTYPE_NAMES:
        return _DTYPE_NAMES[name]
    if module == "torch" and name == "Size":
        return _torch_size
    if module == "torch" and name == "device":
        return backend.device
    if module == "builtins" and name in _SAFE_BUILTINS:
        return _SAFE_BUILTINS[name]
    if module == "_codecs" and name == "encode":  # protocol 2 pickles bytes this way
        import codecs
        return codecs.encode
    return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, archive, prefix, filename, weights_only, map_location):
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix
        self._filename = filename
        self._weights_only = weights_only
        self._map_location = map_location
        self._storages = {}
        self._bf16_warned = False

    def find_class(self, module, name):
        obj = _allowed_global(module, name)
        if obj is not None:
            return obj
        if self._weights_only:
            raise pickle.UnpicklingError(
                f"Weights only load failed: {self._filename} names the global "
                f"'{module}.{name}', which ember.load(weights_only=True) does not allow. "
                "Only tensors, Parameters, OrderedDict and plain containers, numbers and "
                "strings are loaded; pass weights_only=False only for a file you trust "
                "(unpickling can run arbitrary code).")
        if module.split(".")[0] == "torch":
            raise pickle.UnpicklingError(
                f"{self._filename}: the global '{module}.{name}' has no ember equivalent")
        return super().find_class(module, name)

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(
                f"{self._filename}: unsupported persistent id {pid!r} in data.pkl")
        _, storage_type, key, location, numel = pid
        location = self._map(location)
        if location != "cpu" and not location.startswith("cpu"):
            raise RuntimeError(
                f"{self._filename}: storage {key} is on {location!r}; ember.load reads "
                "checkpoints onto the CPU (pass map_location='cpu')")
        if key in self._storages:
            return self._storages[key]
        member = f"{self._prefix}data/{key}"
        try:
            raw = self._archive.read(member)
        except KeyError:
            raise RuntimeError(f"{self._filename}: the archive has no record {member!r} "
                               "(the file is truncated or corrupt)") from None
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise RuntimeError(f"{self._filename}: cannot read record {member!r}: {e} "
                               "(the file is truncated or corrupt)") from None
        name = storage_type.name
        itemsize = 2 if name == _BFLOAT16 else 1 if name == _UNTYPED else \
            _NP_OF_STORAGE[name].itemsize
        expected = numel * itemsize
        if len(raw) != expected:
            raise RuntimeError(
                f"{self._filename}: record {member!r} holds {len(raw)} bytes but its storage "
                f"needs {expected} (the file is truncated or corrupt)")
        if name == _BFLOAT16:
            if not self._bf16_warned:
                warnings.warn(f"{self._filename}: ember has no bfloat16; bfloat16 tensors "
                              "are loaded as float32 (exactly)", stacklevel=4)
                self._bf16_warned = True
            bits = np.frombuffer(raw, dtype="<u2")
            flat = (bits.astype(np.uint32) << 16).view(np.float32)
        elif name == _UNTYPED:
            flat = np.frombuffer(raw, dtype=np.uint8).copy()
        else:
            np_dtype = _NP_OF_STORAGE[name]
            flat = np.frombuffer(raw, dtype=np_dtype).copy()  # owns its memory
            if sys.byteorder == "big":
                flat = flat.astype(np_dtype.newbyteorder("="))
        self._storages[key] = flat
        return flat

    def _map(self, location: str) -> str:
        m = self._map_location
        if m is None:
            return location
        if isinstance(m, dict):
            return str(m.get(location, location))
        if callable(m):
            return "cpu"  # a callable gets CPU storages; ember keeps them there
        return str(m)


_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C


def _open_archive(f, filename):
    try:
        return zipfile.ZipFile(f)
    except zipfile.BadZipFile as e:
        head = b""
        if isinstance(f, (str, os.PathLike)):
            with open(f, "rb") as fh:
                head = fh.read(2)
        else:
            f.seek(0)
            head = f.read(2)
            f.seek(0)
        if head[:1] == b"\x80":
            _reject_plain_pickle(f, filename)
        if not head:
            raise RuntimeError(f"{filename}: the file is empty (a truncated save?)") from None
        raise RuntimeError(f"{filename}: not a torch checkpoint, or truncated/corrupt: the "
                           f"zip archive cannot be read ({e})") from None


def _reject_plain_pickle(f, filename):
    """A bare pickle (torch's legacy format, or a hand-made one): scan it with the
    restricted unpickler so that no global outside the whitelist is ever called."""
    fh = open(f, "rb") if isinstance(f, (str, os.PathLike)) else f
    try:
        up = _Unpickler(fh, None, "", filename, True, None)
        up.persistent_load = lambda pid: None
        try:
            first = up.load()
        except pickle.UnpicklingError:
            raise
        except Exception as e:
            raise RuntimeError(f"{filename}: not a torch zip checkpoint ({e})") from None
    finally:
        if fh is not f:
            fh.close()
    if first == _LEGACY_MAGIC:
        raise RuntimeError(f"{filename}: this is torch's legacy (pre-1.6) serialization "
                           "format, which ember.load does not read; re-save it with a "
                           "recent torch.save")
    raise RuntimeError(f"{filename}: a plain pickle, not a torch zip checkpoint")


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None,
         **pickle_load_args):
    """Load an object saved by `ember.save` or `torch.save` (zip format) as ember tensors.

    Args:
        f: a path or a readable binary file object.
        map_location: None, 'cpu', a device, a {saved location: location} dict or a
            callable; ember reads every storage onto the CPU.
        weights_only: True (the default) only unpickles tensors, Parameters,
            OrderedDict and plain Python values; any other global raises
            `pickle.UnpicklingError` without running anything. False allows arbitrary
            pickled objects: use it only for files you trust.
    """
    filename = repr(os.fspath(f)) if isinstance(f, (str, os.PathLike)) else "the file"
    if isinstance(f, (str, os.PathLike)) and not os.path.exists(f):
        raise FileNotFoundError(f"[Errno 2] No such file or directory: '{os.fspath(f)}'")
    archive = _open_archive(f, filename)
    with archive:
        names = archive.namelist()
        pkl = [n for n in names if n.endswith("data.pkl") and n.count("/") <= 1]
        if not pkl:
            raise RuntimeError(f"{filename}: the zip archive has no data.pkl record (not a "
                               "torch checkpoint, or truncated/corrupt)")
        pkl_name = pkl[0]
        prefix = pkl_name[: -len("data.pkl")]
        try:
            data = archive.read(pkl_name)
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise RuntimeError(f"{filename}: cannot read {pkl_name!r}: {e} (the file is "
                               "truncated or corrupt)") from None
        up = _Unpickler(io.BytesIO(data), archive, prefix, filename, weights_only,
                        map_location)
        try:
            return up.load()
        except (pickle.UnpicklingError, RuntimeError, FileNotFoundError):
            raise
        except (EOFError, ValueError, KeyError, IndexError, TypeError, AttributeError) as e:
            raise RuntimeError(f"{filename}: data.pkl is truncated or corrupt "
                               f"({type(e).__name__}: {e})") from None
