"""Checkpoints written off the consumer's loop: copied once into memory kept for it, written by
a thread.

Pickling a day's state (hundreds of MB, GBs for a large operator) into one bytes object holds
the interpreter for a long while, and every record behind it waits: at the stream's rates that
sets the 99th-percentile latency (docs/benchmarks.md). So a checkpoint is taken in two steps:

1. In the consumer, between two batches, the state is pickled with protocol 5 and out-of-band
   buffers (the numpy arrays are referred to, not copied; everything else, the dictionaries
   and the reorder buffer, is a few MB at most), and the arrays are copied into a **staging
   area** the :class:`Checkpointer` keeps from one checkpoint to the next. The copy runs at
   memory speed (docs/stream.md has the figures) because the staging memory is already
   mapped: it is allocated, and touched, ahead of need by the writer thread.
2. A thread at the lowest CPU priority writes the staged bytes to a file atomically (over the
   checkpoint before the last, in place; fsync; rename) while the consumer goes on scoring;
   the consumer acknowledges the messages the checkpoint holds only once the thread has
   finished without error.

Why not fork, like a database's background save: a forked child shares the pages
copy-on-write, and every page the consumer then writes first is copied into fresh memory. In
a virtual machine a fresh page is slow to map, a copy into memory already touched many times
faster, and the consumer's first tens of thousands of records after each fork paid for it in
latency (docs/benchmarks.md has the figures). A copy into reused memory is one short, bounded
pause.

File: ``CWSNAP1\\n``, the pickle's length, the number of arrays and each one's length (little
endian uint64), the pickle, the arrays. :func:`read_state` also reads a plain pickle.

>>> import tempfile, asyncio, numpy as np
>>> path = Path(tempfile.mkdtemp()) / "state.ckpt"
>>> writer = Checkpointer(path)
>>> writer.start({"sums": np.arange(4.0), "day": "2026-07-08"})
True
>>> asyncio.run(writer.wait())
>>> state = read_state(path)
>>> state["sums"].tolist(), state["day"], state["sums"].flags.writeable
([0.0, 1.0, 2.0, 3.0], '2026-07-08', True)
"""

from __future__ import annotations

import asyncio
import ctypes
import io
import os
import pickle
import struct
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from callwarden.background import lowest_priority
from callwarden.errors import CallwardenError, InputFileError

__all__ = [
    "CheckpointError",
    "Checkpointer",
    "UntrustedCheckpointError",
    "read_state",
    "write_state",
]

MAGIC = b"CWSNAP1\n"
_U64 = struct.Struct("<Q")
#: the staging area is prepared this much larger than the state it last held (states grow)
HEADROOM = 1.25
#: a state up to this size gets its staging area at once (a few milliseconds)
SMALL = 4 * 2**20
#: a larger state is not staged (a copy would double the memory it takes): the consumer waits
#: while it is written straight from its arrays (about a second per GB into the page cache).
#: At 1 GiB, the staging area held beside a state just under it (a quarter larger) was the
#: 1M-subscriber day's highest point, a third into the day (docs/benchmarks.md); the latency
#: runs' states (370 MB at 100,000 subscribers) stay staged
STAGE_LIMIT = 2**29


class CheckpointError(CallwardenError):
    """A checkpoint could not be written (the previous one stands)."""


def _write_parts(path: Path, parts: list[bytes | memoryview]) -> None:
    """Write the parts to ``path`` so that a crash leaves the old file or the new one.

    The new file is written over the one before the current (``<name>.spare``), in place,
    then renamed over ``path``; the replaced file becomes the next spare (kept by a hard link).
    Writing over a file reuses its cached pages: a fresh file of hundreds of MB made the kernel
    map as many new pages each time (many times the CPU of writing in place;
    docs/benchmarks.md), taken from the cores the broker and the consumer share."""
    path.parent.mkdir(parents=True, exist_ok=True)
    spare = path.with_name(path.name + ".spare")
    old = path.with_name(path.name + ".old")
    fd = os.open(spare, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        size = 0
        for part in parts:
            view = memoryview(part).cast("B")
            while view:
                done = os.write(fd, view[: 64 << 20])
                view, size = view[done:], size + done
        os.ftruncate(fd, size)
        os.fsync(fd)
    finally:
        os.close(fd)
    if path.exists():
        old.unlink(missing_ok=True)
        os.link(path, old)  # (the current checkpoint stays whole at ``path`` throughout)
    os.replace(spare, path)
    if old.exists():
        os.replace(old, spare)
    _sync_dir(path.parent)


def _sync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where a directory can be opened: not Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _frame(table: pa.Table) -> pl.DataFrame:
    return pl.DataFrame(pl.from_arrow(table))


def _series(name: str, array: pa.Array | pa.ChunkedArray) -> pl.Series:
    """(How checkpoints before :func:`_series_chunks` held a series.)"""
    return pl.Series(pl.from_arrow(array)).alias(name)


#: a set or dictionary of more texts than this is pickled as one blob (:class:`_Pickler`)
MANY = 65_536


def _joined(texts: Iterable[Any], count: int) -> pickle.PickleBuffer | None:
    """``count`` texts as one UTF-8 blob (out of band), NUL between them; None unless every
    one is a ``str`` without a NUL (then they could not be told apart)."""
    try:
        blob = "\x00".join(texts)
    except TypeError:
        return None
    if blob.count("\x00") != count - 1:
        return None
    return pickle.PickleBuffer(blob.encode("utf-8", "surrogatepass"))


def _split(blob: Any) -> list[str]:
    return str(blob, "utf-8", "surrogatepass").split("\x00")


def _series_chunks(name: str, chunks: list[pa.Array]) -> pl.Series:
    return pl.concat([pl.Series(name, pl.from_arrow(c)) for c in chunks], rechunk=False)


class _Pickler(pickle.Pickler):
    """Polars frames and series go as Arrow, whose buffers travel out of band like numpy's
    (polars' own pickling writes a copy of every frame into the pickle: GBs for a day's
    state). So do large sets of texts and dictionaries of texts to integers (a million
    subscribers' numbers): pickled one by one, each text took an entry of the pickler's memo
    and its bytes in band, which made the 1M-subscriber day's checkpoints hold 290 MiB more
    for a moment, for 69 MiB of pickle (docs/benchmarks.md). Those go as persistent ids
    (``reducer_override`` is not asked about sets and dictionaries), which
    :class:`_Unpickler` reads back."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: the id given to each large container (kept alive), so that a container met twice
        #: comes back as one object
        self._given: dict[int, tuple[Any, tuple[str, Any, Any]]] = {}

    def reducer_override(self, obj: Any) -> Any:
        kind = type(obj)
        if kind is pl.DataFrame:
            return _frame, (obj.to_arrow(compat_level=pl.CompatLevel.newest()),)
        if kind is pl.Series and obj.n_chunks() > 0:
            # chunk by chunk: a series of several chunks is copied whole into one by to_arrow
            newest = pl.CompatLevel.newest()
            chunks = [c.to_arrow(compat_level=newest) for c in obj.get_chunks()]
            return _series_chunks, (obj.name, chunks)
        return NotImplemented

    def persistent_id(self, obj: Any) -> Any:
        if type(obj) not in (frozenset, set, dict) or len(obj) <= MANY:
            return None
        if id(obj) in self._given:
            return self._given[id(obj)][1]
        given = _texts_id(obj)
        if given is not None:
            self._given[id(obj)] = (obj, given)
        return given


def _texts_id(obj: frozenset[Any] | set[Any] | dict[Any, Any]) -> tuple[str, Any, Any] | None:
    """A large container's persistent id: its texts as one blob (and a dictionary's codes as
    an array, or None for the codes 0, 1, 2, ... in order); None unless it holds texts only
    (and integers as values). No list of the texts is made: a million subscribers' numbers
    as a list and an Arrow array held twice their memory at the checkpoint."""
    blob = _joined(obj, len(obj))
    if blob is None:
        return None
    if not isinstance(obj, dict):
        return ("texts", blob, type(obj) is frozenset)
    if not all(type(c) is int for c in obj.values()):
        return None
    try:
        codes = np.fromiter(obj.values(), np.int64, count=len(obj))
    except OverflowError:  # (an integer past int64)
        return None
    in_order = bool((codes == np.arange(codes.shape[0])).all())
    return ("text_codes", blob, None if in_order else codes)


def _pickled(state: Any) -> tuple[bytes, list[memoryview]]:
    """The pickle (arrays out of band) and the arrays as views (not copies)."""
    buffers: list[pickle.PickleBuffer] = []
    out = io.BytesIO()
    _Pickler(out, protocol=5, buffer_callback=buffers.append).dump(state)
    return out.getvalue(), [b.raw() for b in buffers]


def _header(data: bytes, views: list[memoryview]) -> bytes:
    header = MAGIC + _U64.pack(len(data)) + _U64.pack(len(views))
    return header + b"".join(_U64.pack(v.nbytes) for v in views)


def write_state(state: Any, path: Path) -> None:
    """Write ``state`` now, in this thread (what :class:`Checkpointer` does in the background)."""
    data, views = _pickled(state)
    _write_parts(path, [_header(data, views), data, *views])


def read_state(path: Path) -> Any:
    """A state written by :func:`write_state` or :class:`Checkpointer` (or a plain pickle);
    its arrays are writable."""
    raw = bytearray(path.read_bytes())
    if not raw.startswith(MAGIC):
        return _Unpickler(io.BytesIO(raw), path=path).load()
    at = len(MAGIC)
    size, count = _U64.unpack_from(raw, at)[0], _U64.unpack_from(raw, at + 8)[0]
    at += 16
    lengths = [_U64.unpack_from(raw, at + 8 * k)[0] for k in range(count)]
    at += 8 * count
    view = memoryview(raw)
    data = view[at : at + size]
    at += size
    buffers = []
    for n in lengths:
        buffers.append(view[at : at + n])
        at += n
    return _Unpickler(io.BytesIO(data), path=path, buffers=buffers).load()


#: where the classes of checkpoints written before features/ became engines behind one
#: contract live now: (module, name) -> (module, name)
_MOVED = {
    ("callwarden.features.incremental", "IncrementalFeatures"): (
        "callwarden.features.engines.compiled.live", "IncrementalFeatures"),
    ("callwarden.features.incremental", "_Pool"): (
        "callwarden.features.engines.compiled.pools", "Pool"),
    ("callwarden.features.hashtable", "Table"): (
        "callwarden.features.engines.compiled.hashtable", "Table"),
    ("callwarden.features.textcodes", "Codebook"): (
        "callwarden.features.engines.compiled.textcodes", "Codebook"),
    ("callwarden.features.textcodes", "Dictionary"): (
        "callwarden.features.engines.compiled.textcodes", "Dictionary"),
    ("callwarden.detect.replay", "AlertStepper"): ("callwarden.detect.live", "LiveScorer"),
    ("callwarden.detect.campaign_window", "Codes"): ("callwarden.detect.campaign_codes", "Codes"),
}  # fmt: skip


#: the modules whose classes a checkpoint holds: the stream engine and what it keeps besides
#: the scorer (the live features, the policy, the served numbers) ...
_STATE_MODULES = frozenset(
    f"callwarden.{m}"
    for m in (
        "stream.engine", "decide.policy", "decide.served", "network",
        "features.engines.compiled.live", "features.engines.compiled.pools",
        "features.engines.compiled.hashtable", "features.engines.compiled.textcodes",
    )
)  # fmt: skip
#: ... and every module of the scorer's package: the detectors, the campaign pass, the
#: models, and whatever detect/ adds (its classes are computation, nothing that acts)
_STATE_PACKAGE = "callwarden.detect."
_NUMPY = {"_reconstruct", "scalar", "_frombuffer"}
#: every other name a checkpoint may hold, module -> names: what numpy, Arrow, polars,
#: LightGBM and the standard library name to rebuild their objects (the old spellings of
#: protocols 0-2 and of numpy 1 too), and this module's own
_ALLOWED: dict[str, frozenset[str]] = {
    module: frozenset(names)
    for module, names in {
        "builtins": {"set", "frozenset", "bytes", "bytearray", "object", "complex", "slice"},
        "__builtin__": {"set", "frozenset", "bytes", "bytearray", "object", "complex", "slice"},
        "copyreg": {"_reconstructor"}, "copy_reg": {"_reconstructor"},
        "_codecs": {"encode"},
        "collections": {"OrderedDict", "defaultdict", "deque", "Counter"},
        "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
        "zoneinfo": {"ZoneInfo"},
        "numpy": {"dtype", "ndarray"},
        "numpy._core.multiarray": _NUMPY, "numpy.core.multiarray": _NUMPY,
        "numpy._core.numeric": _NUMPY, "numpy.core.numeric": _NUMPY,
        "pyarrow.lib": {
            "_restore_array", "_reconstruct_table", "_reconstruct_record_batch",
            "chunked_array", "field", "schema", "py_buffer", "type_for_alias", "timestamp",
            "duration", "time32", "time64", "list_", "large_list", "struct", "dictionary",
            "decimal128", "fixed_size_binary", "map_", "KeyValueMetadata",
        },
        "polars.dataframe.frame": {"DataFrame"},
        "polars.series.series": {"Series"},
        "lightgbm.basic": {"Booster"},
        __name__: {"_frame", "_series", "_series_chunks"},
    }.items()
}  # fmt: skip
#: ``getattr`` is named by the pickles of some classes' methods (``ZoneInfo._unpickle``):
#: allowed for these attributes only (with any other it reaches anything: a module's globals)
_ATTRIBUTES = {("zoneinfo", "ZoneInfo", "_unpickle")}


class UntrustedCheckpointError(InputFileError):
    """A checkpoint names something no callwarden checkpoint holds: it was damaged or tampered
    with, and nothing it names is run."""


def _detectors() -> set[tuple[str, str]]:
    """Every registered detector's class (a checkpoint holds the scorer's detectors; those
    of other packages too)."""
    from callwarden.detect import rules  # noqa: F401, PLC0415  (registers them)
    from callwarden.detect.base import DETECTORS  # noqa: PLC0415

    return {(type(d).__module__, type(d).__qualname__) for _, d in DETECTORS.items()}


class _Unpickler(pickle.Unpickler):
    """Reads checkpoints, those written before classes moved too (:data:`_MOVED`), and the
    large containers :class:`_Pickler` gave persistent ids.

    A checkpoint is a pickle, and a pickle can name any function to call: a tampered file
    would run whatever it names. So only what a checkpoint holds is found (the classes of the
    state modules and of detect/, the registered detectors, :data:`_ALLOWED`); anything else
    raises :class:`UntrustedCheckpointError` before it is imported."""

    def __init__(self, *args: Any, path: Path | str = "checkpoint", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._made: dict[int, tuple[Any, Any]] = {}
        self._path = path

    def _refuse(self, what: str) -> UntrustedCheckpointError:
        return UntrustedCheckpointError(
            self._path,
            f"refused: it names {what}, which no callwarden checkpoint holds (a damaged or "
            "tampered file; nothing in it was run). Restore a checkpoint you trust, or move "
            "this one aside to start afresh",
        )

    def find_class(self, module: str, name: str) -> Any:
        module, name = _MOVED.get((module, name), (module, name))
        if name == "getattr" and module in ("builtins", "__builtin__"):
            return self._getattr
        if name in _ALLOWED.get(module, ()):
            return super().find_class(module, name)
        if (module in _STATE_MODULES or module.startswith(_STATE_PACKAGE)) and "." not in name:
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module:
                return found
        elif (module, name) in _detectors():
            return super().find_class(module, name)
        raise self._refuse(f"{module}.{name}")

    def _getattr(self, obj: Any, name: str) -> Any:
        owner = (getattr(obj, "__module__", None), getattr(obj, "__qualname__", None))
        if isinstance(obj, type) and (*owner, name) in _ATTRIBUTES:
            return getattr(obj, name)
        raise self._refuse(f"getattr({obj!r}, {name!r})")

    def persistent_load(self, pid: Any) -> Any:
        if id(pid) in self._made:  # (the same container again: the pickle memoised its id)
            return self._made[id(pid)][1]
        what, blob, more = pid
        values = _split(blob)
        if what == "texts":
            made: Any = frozenset(values) if more else set(values)
        elif what == "text_codes":
            codes = range(len(values)) if more is None else more.tolist()
            made = dict(zip(values, codes, strict=True))
        else:
            raise pickle.UnpicklingError(f"unknown persistent id {what!r}")
        self._made[id(pid)] = (pid, made)
        return made


def _touched(size: int) -> np.ndarray:
    """``size`` bytes of memory with every page mapped (written once), so that copies into it
    run at memory speed. ctypes' memset lets go of the interpreter while it works."""
    area = np.empty(max(size, 1), np.uint8)
    ctypes.memset(area.ctypes.data, 0, area.nbytes)
    return area


class Checkpointer:
    """Checkpoints of one state to one file, one at a time: :meth:`start` takes one (a short
    pause: pickle, copy), :meth:`done` polls, :meth:`wait` waits for the write (and raises
    :class:`CheckpointError` if it failed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stage = np.empty(0, np.uint8)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._writing = False
        #: the checkpoint being written reads the state itself: wait() before it moves
        self.unstaged = False

    @property
    def capacity(self) -> int:
        """Bytes of the staging area."""
        return int(self._stage.nbytes)

    @property
    def writing(self) -> bool:
        """A checkpoint was started and not yet waited for (it may have finished)."""
        return self._thread is not None and self._writing

    def start(self, state: Any) -> bool:
        """Take a checkpoint of ``state`` as it is now; the file is written in the background.

        False when the staging area is too small for the state: a thread maps a larger one
        (about a second per GB in a virtual machine, which the consumer must not wait for),
        and the checkpoint is to be taken again once :meth:`done`. A small state (up to
        ``SMALL`` bytes) gets its room at once. A state over ``STAGE_LIMIT`` bytes is written
        from its own arrays, with no staging area (:attr:`unstaged`): it must not move until
        :meth:`wait` returns (the caller's event loop runs meanwhile, so its connections
        stay served)."""
        if self._thread is not None:
            if self._thread.is_alive():
                if self._writing:
                    raise RuntimeError("a checkpoint is being written: wait() for it first")
                return False  # (still preparing room)
            self._thread.join()
            self._thread = None
        data, views = _pickled(state)
        header = _header(data, views)
        need = sum(v.nbytes for v in views)
        self._error = None
        if need > STAGE_LIMIT:
            self._stage = np.empty(0, np.uint8)
            self._spawn(self._write, [header, data, *views], need, writing=True)
            self.unstaged = True
            return True
        self.unstaged = False
        if self._stage.nbytes < need:
            if need > SMALL:
                self._spawn(self._prepare, need, writing=False)
                return False
            self._stage = _touched(int(need * HEADROOM))
        at, staged = 0, []
        for v in views:
            part = self._stage[at : at + v.nbytes]
            np.copyto(part, np.frombuffer(v, np.uint8))
            staged.append(part.data)
            at += v.nbytes
        self._spawn(self._write, [header, data, *staged], need, writing=True)
        return True

    def _spawn(self, target: Any, *args: Any, writing: bool) -> None:
        self._writing = writing
        self._thread = threading.Thread(
            target=target, args=args, daemon=True, name="callwarden-checkpoint"
        )
        self._thread.start()

    def _prepare(self, need: int) -> None:
        lowest_priority()
        self._stage = np.empty(0, np.uint8)  # (not two areas at once)
        self._stage = _touched(int(need * HEADROOM))

    def _write(self, parts: list[bytes | memoryview], need: int) -> None:
        lowest_priority()
        try:
            _write_parts(self.path, parts)
            del parts
            if need <= STAGE_LIMIT and self._stage.nbytes < need * (1 + (HEADROOM - 1) / 2):
                # the state is catching up with the staging area: a larger one, mapped now,
                # here, so that the next copy does not touch fresh memory in the consumer
                self._stage = np.empty(0, np.uint8)  # (not two areas at once)
                self._stage = _touched(int(need * HEADROOM))
        except BaseException as exc:  # (handed to wait())
            self._error = exc

    def done(self) -> bool:
        """Nothing is being written or prepared (the last checkpoint finished, well or not)."""
        return self._thread is None or not self._thread.is_alive()

    async def wait(self) -> None:
        """Wait for the checkpoint being written, or the room being prepared (none: return at
        once); raises :class:`CheckpointError` if the write failed."""
        if self._thread is None:
            return
        while self._thread.is_alive():
            await asyncio.sleep(0.002)
        self._thread.join()
        self._thread = None
        if self._error is not None:
            error, self._error = self._error, None
            raise CheckpointError(
                f"{self.path}: the checkpoint could not be written ({error}); the previous "
                "checkpoint stands"
            ) from error
