"""Compiling and loading the forest walker (:mod:`.source`) as a shared library.

Where the library comes from, first found wins:

1. ``ML_CONTAINERS_FOREST_LIB``: a path to a library built beforehand (the image can ship one);
2. a library built beforehand next to this module (``python -m ml_containers.forest.build
   --into-package`` writes it there: the image's build stage does);
3. the per-user cache (``$XDG_CACHE_HOME`` or ``~/.cache``, else the temporary directory), where
   a C compiler (``$CC``, ``cc``, ``gcc``, ``clang``) builds it once per machine. The file name
   holds the source's hash, so a changed source is rebuilt, and the build goes to a temporary
   name renamed into place, so concurrent workers never load a half-written file.

When none is possible (no compiler, a read-only disk) :func:`load_library` raises
:class:`NativeUnavailable` with the reason, and the caller keeps XGBoost's own predictor.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .source import ABI_VERSION, C_SOURCE

LIB_ENV = "ML_CONTAINERS_FOREST_LIB"
CC_FLAGS = ("-O2", "-fPIC", "-shared", "-ffp-contract=off", "-fno-fast-math")
COMPILE_TIMEOUT_S = 60.0
_loaded: dict[str, ctypes.CDLL] = {}


class NativeUnavailable(RuntimeError):
    """The forest walker cannot be built or loaded here; the message says why."""


def library_name() -> str:
    digest = hashlib.sha256(C_SOURCE.encode() + " ".join(CC_FLAGS).encode()).hexdigest()[:16]
    return f"_forest_walker-{digest}.so"


def find_compiler() -> list[str] | None:
    configured = os.environ.get("CC")
    if configured:
        parts = configured.split()
        if shutil.which(parts[0]):
            return parts
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return [found]
    return None


def compile_library(target: Path, compiler: list[str] | None = None) -> Path:
    """Build the library at ``target`` (atomically); :class:`NativeUnavailable` on failure."""
    compiler = compiler or find_compiler()
    if compiler is None:
        raise NativeUnavailable("no C compiler found (set CC, or install cc/gcc/clang)")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".forest-build-") as scratch:
        source = Path(scratch) / "forest_walker.c"
        source.write_text(C_SOURCE)
        built = Path(scratch) / target.name
        command = [*compiler, *CC_FLAGS, "-o", str(built), str(source), "-lm"]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=COMPILE_TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise NativeUnavailable(f"{' '.join(compiler)} failed to run: {exc}") from None
        if result.returncode != 0:
            raise NativeUnavailable(
                f"{' '.join(compiler)} exited {result.returncode}: {result.stderr.strip()[:500]}"
            )
        os.replace(built, target)
    return target


def cache_dir() -> Path:
    """The per-user cache, or a private (0700, owned by this user) temporary directory."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    for candidate in (Path(base) / "ml-containers", _private_tmp()):
        try:
            candidate.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            continue
        info = candidate.stat()
        if info.st_uid == os.getuid() and os.access(candidate, os.W_OK):
            return candidate
    raise NativeUnavailable("no writable cache directory for the compiled forest walker")


def _private_tmp() -> Path:
    return Path(tempfile.gettempdir()) / f"ml-containers-{os.getuid()}"


def library_path() -> Path:
    """The library to load, building it in the cache when no prebuilt one exists."""
    configured = os.environ.get(LIB_ENV)
    if configured:
        if not Path(configured).is_file():
            raise NativeUnavailable(f"${LIB_ENV} names {configured}, which does not exist")
        return Path(configured)
    packaged = Path(__file__).with_name(library_name())
    if packaged.is_file():
        return packaged
    cached = cache_dir() / library_name()
    if cached.is_file():
        return cached
    try:
        return compile_library(cached)
    except OSError as exc:  # the cache is not writable
        raise NativeUnavailable(f"cannot write {cached}: {exc}") from None


def load_library() -> ctypes.CDLL:
    path = library_path()
    key = str(path)
    if key not in _loaded:
        try:
            library = ctypes.CDLL(key)
        except OSError as exc:
            raise NativeUnavailable(f"cannot load {path}: {exc}") from None
        if library.fw_abi_version() != ABI_VERSION:
            raise NativeUnavailable(f"{path} is built from another version of the source")
        _declare(library)
        _loaded[key] = library
    return _loaded[key]


def _declare(library: ctypes.CDLL) -> None:
    library.fw_predict.restype = None
    library.fw_predict.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_void_p,
    ]
    library.fw_predict_raw.restype = ctypes.c_int64
    library.fw_predict_raw.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int32,
        ctypes.c_void_p,
    ]
    library.fw_predict_csv.restype = ctypes.c_int64
    library.fw_predict_csv.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_int64,
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_int32,
        ctypes.c_void_p,
    ]
    library.fw_predict_json.restype = ctypes.c_int64
    library.fw_predict_json.argtypes = library.fw_predict_csv.argtypes
    for name in ("fw_logit", "fw_log"):
        function = getattr(library, name)
        function.restype = ctypes.c_float
        function.argtypes = [ctypes.c_float]
