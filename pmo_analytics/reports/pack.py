"""The pack folder `reports/YYYY-MM/`: only what the workbench wrote is ever replaced or deleted.

index.html carries a manifest (month, generator, version, the SHA-256 of every file). The month's
folder is replaced only when it carries a valid one, holds nothing else and is unchanged since, and
is not the exports folder (nor inside or above it); otherwise the run is refused (PackRefused)
before anything is loaded. Work folders and `.failed-YYYY-MM/` carry marker files; stale ones are
removed only when marked and their run is gone. The lock and the swap are store.publish's, shared
with the database publisher.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from pmo_analytics import __version__
from pmo_analytics.exceptions import PMOError
from pmo_analytics.store import publish as store_publish

# What marks a folder as the workbench's: a pack's index.html carries a manifest (month, generator,
# version, every file with its SHA-256) in this block; a work folder holds WORK_MARKER (the pid of
# its run); .failed-YYYY-MM/ holds FAILED_MARKER.
GENERATOR = "pmo_analytics"
INDEX = "index.html"
MANIFEST_ID = "pmo-report"
_MANIFEST = re.compile(rf'<script type="application/json" id="{MANIFEST_ID}">(.*?)</script>'.encode(), re.DOTALL)
MANIFEST_TEXT = re.compile(rf'(<script type="application/json" id="{MANIFEST_ID}">).*?(</script>)', re.DOTALL)
WORK_MARKER = ".pmo-work.json"
FAILED_MARKER = ".pmo-failed.json"
# A work folder (.YYYY-MM.building-PID-*) or an old pack swapped out (.YYYY-MM.old-PID-*, replace_folder's).
_WORK = re.compile(r"^\.(\d{4}-\d{2})\.(?:building|old)-(\d+)-")


class PackRefused(PMOError):
    """--out, or the month's folder in it, is not the workbench's to replace; nothing was loaded or written."""


def locked(out: Path):
    """One publisher at a time per reports folder (the lock file `out/.lock`)."""
    return store_publish.locked(out / ".lock")


# ---------------------------------------------------------------------------------------------
# before anything is loaded: may the pack go there?

def preflight(out_dir, name: str, exports: Path | None = None) -> None:
    """Refuses, before anything is loaded or written, an --out that cannot hold the pack (a file, not
    writable) and a month folder that is not the workbench's to replace: the exports folder (or one
    inside or above it), a symbolic link, a folder without the workbench's manifest or with files
    the manifest does not list or that changed since."""
    shown_out = Path(out_dir)
    shown = shown_out / name
    _check_out_dir(shown_out)
    try:
        final = (shown_out.resolve() / name).resolve()
        source = exports.resolve() if exports is not None else None
    except (OSError, RuntimeError) as exc:
        raise PackRefused(f"cannot resolve {shown}: {exc}; choose another --out") from None
    if source is not None and final == source:
        raise PackRefused(f"{shown} is the exports folder {exports}: the {name} pack would replace it; "
                          f"choose another --out")
    if source is not None and source.is_relative_to(final):
        raise PackRefused(f"{shown} holds the exports {exports}: the {name} pack would replace it; "
                          f"choose another --out")
    if source is not None and final.is_relative_to(source):
        raise PackRefused(f"{shown} is inside the exports folder {exports}: the pack would be written among "
                          f"the exports; choose another --out")
    _refuse_pack(shown_out.resolve() / name, shown, name)


def _check_out_dir(out: Path) -> None:
    """--out must be a folder, or creatable, and writable; says which folder when it is not."""
    probe = out
    while not probe.exists():
        if probe.is_symlink():
            raise PackRefused(f"cannot create {out}: {probe} is a broken symbolic link; choose another --out")
        if probe.parent == probe:
            break
        probe = probe.parent
    if not probe.is_dir():
        where = "" if probe == out else f"cannot create {out}: "
        raise PackRefused(f"{where}{probe} is a file, not a folder; choose another --out")
    if not os.access(probe, os.W_OK | os.X_OK):
        try:
            read_only = bool(os.statvfs(probe).f_flag & os.ST_RDONLY)
        except OSError:
            read_only = False
        why = "read-only file system" if read_only else "permission denied"
        raise PackRefused(f"cannot write to {probe} ({why}); choose another --out")


def _refuse_pack(folder: Path, shown: Path, name: str) -> list[str]:
    """Raises PackRefused unless `folder` is absent or a pack the workbench wrote for `name`, unchanged
    since; returns the files replacing it deletes."""
    try:
        problem, files = _pack_problem(folder, name)
    except OSError as exc:
        raise PackRefused(f"cannot read {shown}: {exc.strerror or exc}; move it or choose another --out") from None
    if problem:
        raise PackRefused(f"{shown} {problem}; move it or choose another --out")
    return files


def _pack_problem(folder: Path, name: str) -> tuple[str | None, list[str]]:
    """Why `folder` is not a pack the workbench wrote for month `name` (None when it is, or is absent),
    and the files its manifest lists that are present (what replacing it deletes)."""
    if folder.is_symlink():
        return f"is a symbolic link (to {os.readlink(folder)}), not a folder pmo wrote", []
    if not folder.exists():
        return None, []
    if not folder.is_dir():
        return "exists and is a file, not a folder pmo wrote", []
    manifest = _manifest(folder)
    if manifest is None:
        return f"exists and was not written by pmo (no pmo manifest in its {INDEX})", []
    if manifest.get("month") != name:
        return f"holds the {manifest.get('month')} pack, not {name}'s", []
    files = manifest["files"]
    entries = sorted(folder.iterdir())
    foreign = [p.name for p in entries if p.name not in files or p.is_symlink() or not p.is_file()]
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        return f"holds {foreign[0]}{more}, which pmo did not write", []
    for path in entries:
        digest = (hashlib.sha256(unsealed(path.read_bytes())).hexdigest() if path.name == INDEX
                  else _sha256(path))
        if digest != files[path.name]:
            return f"holds {path.name}, which was changed since pmo wrote it", []
    return None, [p.name for p in entries]


# ---------------------------------------------------------------------------------------------
# the manifest

def _manifest_block(manifest: dict | None) -> bytes:
    text = "" if manifest is None else json.dumps(manifest, sort_keys=True).replace("</", "<\\/")
    return f'<script type="application/json" id="{MANIFEST_ID}">{text}</script>'.encode()


def unsealed(page: bytes) -> bytes:
    """index.html with its manifest block emptied: what the manifest's own digest of index.html covers."""
    return _MANIFEST.sub(lambda m: _manifest_block(None), page, count=1)


def seal(staging: Path, page: str, name: str) -> bytes:
    """index.html with the pack's manifest filled in: the month, generator, version and every file
    written with its SHA-256, so a later run can tell this folder is the workbench's to replace."""
    files = {p.name: _sha256(p) for p in sorted(staging.iterdir())
             if p.name not in (INDEX, WORK_MARKER) and p.is_file() and not p.is_symlink()}
    body = page.replace("</body>", f"{_manifest_block(None).decode()}\n</body>", 1).encode("utf-8")
    files[INDEX] = hashlib.sha256(unsealed(body)).hexdigest()
    manifest = {"generator": GENERATOR, "version": __version__, "month": name, "files": files}
    return _MANIFEST.sub(lambda m: _manifest_block(manifest), body, count=1)


def _manifest(folder: Path) -> dict | None:
    """The manifest in folder/index.html, or None when there is none (or it is not the workbench's)."""
    index = folder / INDEX
    try:
        if index.is_symlink() or not index.is_file():
            return None
        found = _MANIFEST.search(index.read_bytes())
        data = json.loads(found.group(1)) if found else None
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("generator") != GENERATOR or not isinstance(data.get("files"), dict):
        return None
    return data


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _read_json(path: Path) -> dict | None:
    """A marker file the workbench wrote (a JSON object naming GENERATOR), else None."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("generator") == GENERATOR else None


def _write_json(path: Path, data: dict) -> None:
    """Writes a marker file whole or not at all (a temporary file renamed over it)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------
# work folders, the swap, and the folders left behind

def new_staging(out: Path, name: str) -> Path:
    """The hidden work folder a pack is rendered in, marked as the workbench's with this process's pid."""
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.building-{os.getpid()}-", dir=out))
    _write_json(staging / WORK_MARKER, {"generator": GENERATOR, "version": __version__, "month": name,
                                        "pid": os.getpid(), "started": _process_started(os.getpid())})
    return staging


def publish(staging: Path, final: Path, shown: Path, name: str) -> None:
    """Swaps the pack in (under the lock): only over a pack the workbench wrote, checked again now,
    since the user may have put a file there while the notebooks ran."""
    files = _refuse_pack(final, shown, name)
    (staging / WORK_MARKER).unlink()
    os.chmod(staging, 0o755)  # mkdtemp makes it private; a published report is readable like its peers
    swap_in(staging, final, files)
    _remove_failed(final.parent, name)


def swap_in(staging: Path, final: Path, files: Iterable[str] | None = None) -> None:
    """Renames the complete pack into place: the old one away first, and once the new one is in,
    the old one's `files` deleted (the caller checked they are the workbench's) and its folder."""
    store_publish.replace_folder(staging, final, lambda old: _clear(old, files))


def remove_stale(out: Path) -> None:
    """Removes the work folders of runs that were killed: only those the workbench marked (or an
    unmarked one that is empty), and only when the process named in it is gone."""
    for path in out.iterdir():
        match = _WORK.match(path.name)
        if not match or path.is_symlink() or not path.is_dir():
            continue
        pid = int(match.group(2))
        marker = _read_json(path / WORK_MARKER)
        if marker is not None and marker.get("pid") == pid:
            if not _alive(pid, marker.get("started")):
                shutil.rmtree(path, ignore_errors=True)
        elif not _alive(pid):
            problem, files = _pack_problem(path, match.group(1))  # an old pack, or one sealed but not swapped in
            if problem is None and files:
                _clear(path, files)
            with contextlib.suppress(OSError):
                path.rmdir()  # only when empty: nothing else is ever removed


def _process_started(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, /proc/PID/stat), to tell a reused pid."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _alive(pid: int, started: str | None = None) -> bool:
    """Whether the run of process `pid` is still going: the process exists and, when `started` is
    known, is the one that started then (not a reused pid)."""
    if not store_publish.process_alive(pid):
        return False
    return pid == os.getpid() or started is None or _process_started(pid) in (None, started)


def _clear(folder: Path, files: Iterable[str] | None = None) -> bool:
    """Deletes `files` (default: the regular files directly in `folder`) and then the folder if that
    left it empty; never anything else, never recursively. True when the folder is gone."""
    names = files if files is not None else [p.name for p in folder.iterdir() if p.is_file() and not p.is_symlink()]
    for name in names:
        path = folder / name
        if path.is_file() and not path.is_symlink():
            path.unlink()
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def keep_failed(executed_path: Path, final: Path) -> Path | None:
    """Moves the failed notebook as papermill saved it (with the traceback) to reports/.failed-YYYY-MM/,
    a hidden folder that is not a report, listed in its marker; the next complete build removes what it
    lists. A folder of that name the workbench did not write is left alone (the notebook is not kept)."""
    folder = final.parent / f".failed-{final.name}"
    if not executed_path.is_file():
        return None
    with locked(final.parent):
        marker = _read_json(folder / FAILED_MARKER)
        if folder.is_symlink() or (folder.exists() and marker is None and any(folder.iterdir())):
            return None
        folder.mkdir(exist_ok=True)
        marker = marker or {"generator": GENERATOR, "version": __version__, "month": final.name, "files": {}}
        kept = folder / executed_path.name
        if kept.is_symlink() or (kept.exists() and marker["files"].get(kept.name) != _sha256(kept)):
            return None  # not the copy the workbench kept: the user's now
        os.replace(executed_path, kept)
        marker["files"][kept.name] = _sha256(kept)
        _write_json(folder / FAILED_MARKER, marker)
    return kept


def _remove_failed(out: Path, name: str) -> None:
    """After a complete build: deletes the failed notebooks .failed-YYYY-MM/ kept (those its marker
    lists, unchanged), the marker, and the folder if that emptied it; anything else stays."""
    folder = out / f".failed-{name}"
    if folder.is_symlink() or not folder.is_dir():
        return
    marker = _read_json(folder / FAILED_MARKER)
    if marker is not None:
        files = marker.get("files") or {}
        ours = [n for n, digest in files.items() if (folder / n).is_file() and _sha256(folder / n) == digest]
        _clear(folder, [*ours, FAILED_MARKER])
    with contextlib.suppress(OSError):
        folder.rmdir()  # an empty folder holds nothing to lose
