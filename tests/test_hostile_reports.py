"""The report pack against a hostile or careless world: `--out` and month folders the workbench did not
write (the exports folder itself, the user's own files, symbolic links, files where folders should be),
packs the user changed, folders it must not delete, a full disk, two runs at once, and a run killed
by SIGKILL, SIGTERM, SIGINT or SIGHUP while its notebooks run.

Every refused command must exit 1 with one line naming the folder, before anything is loaded, and
leave the database and every file byte for byte as they were. Runs that build a pack use one tiny
notebook ($PMO_REPORT_NOTEBOOKS, for the in-process runs and the real processes alike); the kill
tests run the real notebooks on a copy of the demo database.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import duckdb
import nbformat
import pytest
from conftest import one_line_error, sha256, tree

from pmo_analytics.reports import cycle as reports
from pmo_analytics.reports import pack

MONTH = "2026-10"
# A real process that runs `pmo ARGS` with one given notebook as the whole pack.
WITH_NOTEBOOK = ("import os, sys; from pmo_analytics import cli; os.environ['PMO_REPORT_NOTEBOOKS'] = sys.argv[1]; "
                 "sys.exit(cli.main(sys.argv[2:]))")
STOP_WITHIN = 15  # seconds every process of a killed run has to be gone in
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, PR_CAPBSET_DROP = 1, 2, 3, 24


def _notebook(path: Path, *cells: str) -> Path:
    book = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                             "language": "python"}})
    parameters = nbformat.v4.new_code_cell("month = None\ndb = None", metadata={"tags": ["parameters"]})
    book.cells = [parameters, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nbformat.write(book, str(path))
    return path


@pytest.fixture(scope="module")
def built(demo_db, tmp_path_factory):
    """One pack of MONTH built by the workbench (one tiny notebook), shared: tests copy it."""
    base = tmp_path_factory.mktemp("hostile")
    database = base / "pmo.duckdb"
    shutil.copyfile(demo_db, database)
    tiny = _notebook(base / "tiny.ipynb", "print('tiny', month)")
    start = time.perf_counter()
    reports.build_report(MONTH, database=database, out_dir=base / "reports", notebooks=[tiny])
    print(f"\nshared pack built in {time.perf_counter() - start:.1f} s")
    return SimpleNamespace(database=database, pack=base / "reports" / MONTH, tiny=tiny,
                           exports=demo_db.parent / "sample" / MONTH)


@pytest.fixture
def env(built, tmp_path, monkeypatch):
    """A private copy of the database and of MONTH's exports; $PMO_REPORT_NOTEBOOKS is the tiny notebook."""
    monkeypatch.delenv("PMO_DB", raising=False)
    monkeypatch.setenv("PMO_REPORT_NOTEBOOKS", str(built.tiny))
    database = tmp_path / "pmo.duckdb"
    shutil.copyfile(built.database, database)
    exports = tmp_path / "exports" / MONTH
    shutil.copytree(built.exports, exports)

    def pack(folder: Path) -> Path:
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(built.pack, folder)
        return folder
    return SimpleNamespace(tmp=tmp_path, db=database, digest=sha256(database), exports=exports, pack=pack,
                           tiny=built.tiny)


def _refused(code: int, err: str, *fragments: str) -> str:
    """The one error line of a refused command, which must contain every fragment."""
    lines = one_line_error(err)
    assert code == 1 and len(lines) == 1, (code, err)
    assert all(f in lines[0] for f in fragments), lines[0]
    return lines[0]


def _manifest_files(folder: Path) -> list[str] | None:
    """The files the pack's manifest (in its index.html) lists, when each one present is as listed
    (index.html aside, whose digest covers the page without the manifest); None otherwise."""
    found = re.search(r'<script type="application/json" id="pmo-report">(.*?)</script>',
                      (folder / "index.html").read_text(encoding="utf-8"), re.DOTALL)
    if not found:
        return None
    manifest = json.loads(found.group(1))
    files = manifest["files"]
    present = sorted(p.name for p in folder.iterdir())
    if manifest["month"] != folder.name or not set(present) <= set(files):
        return None
    if any(sha256(folder / n) != files[n] for n in present if n != "index.html"):
        return None
    return sorted(files)


def _users(out: Path) -> dict[str, str]:
    """tree(out) without the workbench's own (empty) lock file, which a run may create."""
    return {name: state for name, state in tree(out).items() if name != ".lock"}


# ---------------------------------------------------------------------------------------------
# the month folder must be the workbench's to replace

@pytest.mark.parametrize("layout", ["is the exports", "holds the exports", "inside the exports"])
def test_the_exports_folder_is_never_the_pack(env, run, layout):
    exports = env.exports  # tmp/exports/2026-10
    if layout == "is the exports":  # pmo month 2026-10 data/2026-10 --out data
        out, fragment = exports.parent, "is the exports folder"
    elif layout == "holds the exports":  # the exports kept inside reports/2026-10/
        moved = env.tmp / "reports" / MONTH / "exports"
        moved.parent.mkdir(parents=True)
        exports = Path(shutil.move(exports, moved))
        out, fragment = env.tmp / "reports", "holds the exports"
    else:  # the pack would be written among the exports
        out, fragment = exports / "reports", "is inside the exports folder"
    before = tree(env.tmp / "exports"), tree(env.tmp / "reports") if (env.tmp / "reports").exists() else None
    code, _, err = run("month", MONTH, exports, "--db", env.db, "--out", out)
    _refused(code, err, str(out / MONTH), fragment, "choose another --out")
    after = tree(env.tmp / "exports"), tree(env.tmp / "reports") if (env.tmp / "reports").exists() else None
    assert after == before and sha256(env.db) == env.digest


def _foreign_month_folder(env, kind: str) -> tuple[Path, Path, str]:
    """reports/MONTH as something pmo did not write; returns it, the user's folder and the message's words."""
    out = env.tmp / "reports"
    folder = out / MONTH
    if kind == "user files":
        folder.mkdir(parents=True)
        (folder / "budget.xlsx").write_bytes(b"the user's own workbook")
        return folder, out, "was not written by pmo (no pmo manifest in its index.html)"
    if kind == "user index.html":
        folder.mkdir(parents=True)
        (folder / "index.html").write_text("<h1>my own page</h1>")
        return folder, out, "was not written by pmo"
    if kind == "a file":
        out.mkdir()
        folder.write_text("not a folder")
        return folder, out, "is a file, not a folder pmo wrote"
    if kind == "symlink":  # reports/2026-10 -> the user's own folder
        mine = env.tmp / "mine"
        mine.mkdir()
        (mine / "notes.txt").write_text("keep me")
        out.mkdir()
        folder.symlink_to(mine)
        return folder, env.tmp, f"is a symbolic link (to {mine})"
    env.pack(out / "2026-09")  # the 2026-10 pack, copied under another month's name
    return out / "2026-09", out, f"holds the {MONTH} pack, not 2026-09's"


@pytest.mark.parametrize("kind, command", [
    ("user files", "month"), ("user files", "report"), ("user index.html", "month"), ("a file", "month"),
    ("a file", "report"), ("symlink", "month"), ("symlink", "report"), ("another month's pack", "report")])
def test_a_month_folder_pmo_did_not_write_is_refused(env, run, kind, command):
    folder, users, fragment = _foreign_month_folder(env, kind)
    before = tree(users)
    args = (["month", folder.name, env.exports] if command == "month" else ["report", "--month", folder.name])
    code, _, err = run(*args, "--db", env.db, "--out", env.tmp / "reports")
    _refused(code, err, str(env.tmp / "reports" / folder.name), fragment, "move it or choose another --out")
    assert tree(users) == before and sha256(env.db) == env.digest


def _change_pack(folder: Path, change: str, tmp: Path) -> str:
    """Changes a pack as a user might; returns the words the refusal must say."""
    if change == "file added":
        (folder / "notes.txt").write_text("my notes on this month")
        return "holds notes.txt, which pmo did not write"
    if change == "folder added":
        (folder / "drafts").mkdir()
        (folder / "drafts" / "board.md").write_text("draft")
        return "holds drafts, which pmo did not write"
    if change == "page edited":
        page = folder / "tiny.html"
        page.write_text(page.read_text().replace("tiny", "tiny, annotated by the PMO lead"))
        return "holds tiny.html, which was changed since pmo wrote it"
    if change == "index edited":
        page = folder / "index.html"
        page.write_text(page.read_text().replace("PMO monthly report", "Board pack"))
        return "holds index.html, which was changed since pmo wrote it"
    target = tmp / "my_version.html"  # a listed file replaced by a link to the user's own file
    target.write_text("the user's own version")
    (folder / "tiny.html").unlink()
    (folder / "tiny.html").symlink_to(target)
    return "holds tiny.html, which pmo did not write"


@pytest.mark.parametrize("change", ["file added", "folder added", "page edited", "index edited", "page is a link"])
def test_a_pack_the_user_changed_is_refused(env, run, change):
    out = env.tmp / "reports"
    folder = env.pack(out / MONTH)
    fragment = _change_pack(folder, change, env.tmp)
    before = tree(env.tmp)
    code, _, err = run("report", "--month", MONTH, "--db", env.db, "--out", out)
    _refused(code, err, str(out / MONTH), fragment)
    assert tree(env.tmp) == before and sha256(env.db) == env.digest


# ---------------------------------------------------------------------------------------------
# --out itself

@pytest.mark.parametrize("where", ["out is a file", "out's parent is a file"])
def test_out_that_is_not_a_folder_is_refused_before_loading(env, run, where):
    notes = env.tmp / "notes.txt"
    notes.write_text("the user's notes")
    out = notes if where == "out is a file" else notes / "reports"
    before = tree(env.tmp)
    code, _, err = run("month", MONTH, env.exports, "--db", env.db, "--out", out)
    line = _refused(code, err, f"{notes} is a file, not a folder", "choose another --out")
    assert (f"cannot create {out}" in line) == (out != notes)
    assert tree(env.tmp) == before and sha256(env.db) == env.digest


def _without_root_powers() -> None:
    """preexec_fn: the child runs as root without the capabilities that ignore file permissions, so
    a read-only folder is read-only to it (this machine runs the tests as root)."""
    import ctypes

    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for cap in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER):
        if prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            os._exit(99)


def test_out_in_a_read_only_folder_is_refused_before_loading(env):
    locked = env.tmp / "locked"
    locked.mkdir()
    (locked / "old.txt").write_text("the user's")
    locked.chmod(0o555)
    before = tree(locked)
    try:
        proc = subprocess.run([sys.executable, "-c", WITH_NOTEBOOK, env.tiny, "month", MONTH, env.exports,
                               "--db", env.db, "--out", locked / "reports"], capture_output=True, text=True,
                              timeout=300, preexec_fn=_without_root_powers if os.geteuid() == 0 else None)
    finally:
        locked.chmod(0o755)
    _refused(proc.returncode, proc.stderr, f"cannot write to {locked} (permission denied)", "choose another --out")
    assert "loading" not in proc.stderr
    assert tree(locked) == before and sha256(env.db) == env.digest


def test_out_that_is_a_symlink_is_written_through_and_the_link_kept(env, run):
    real = env.tmp / "shared_drive"
    folder = env.pack(real / MONTH)
    (folder / "tiny.ipynb").unlink()  # a pack the user pruned is still the workbench's to replace
    (real / "minutes.docx").write_bytes(b"the user's minutes")
    link = env.tmp / "reports"
    link.symlink_to(real)
    inode, minutes = folder.stat().st_ino, tree(real / "minutes.docx")
    code, out, err = run("report", "--month", MONTH, "--db", env.db, "--out", link)
    assert code == 0 and not one_line_error(err), err
    assert f"report for {MONTH}: {real / MONTH / 'index.html'}" in out
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert (real / MONTH).stat().st_ino != inode and sorted(p.name for p in (real / MONTH).iterdir()) == [
        "index.html", "tiny.html", "tiny.ipynb"]
    assert _manifest_files(real / MONTH) == ["index.html", "tiny.html", "tiny.ipynb"]
    assert tree(real / "minutes.docx") == minutes and sha256(env.db) == env.digest
    assert sorted(p.name for p in real.iterdir()) == [".lock", MONTH, "minutes.docx"]


# ---------------------------------------------------------------------------------------------
# the folders the workbench deletes: only its own

def _dead_pid() -> int:
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_only_the_workbench_s_own_leftovers_are_deleted(env, run):
    out = env.tmp / "reports"
    env.pack(out / MONTH)
    dead = _dead_pid()
    users = {  # folders named as the workbench names its own, made by the user
        f".failed-{MONTH}": "my failed notebook, fixed by hand",
        f".{MONTH}.building-{dead}-mine": "a draft",
        f".{MONTH}.old-{dead}-mine": "last year's pack, kept",
    }
    for name, text in users.items():
        (out / name).mkdir()
        (out / name / "keep.txt").write_text(text)
    stale = out / f".{MONTH}.building-{dead}-killed"  # a run that was killed: marked, its pid gone
    stale.mkdir()
    (stale / "half.html").write_text("half a page")
    (stale / ".pmo-work.json").write_text(f'{{"generator": "pmo_analytics", "pid": {dead}}}')
    old = env.pack(out / f".{MONTH}.old-{dead}-swapped")  # killed between the swap and the clean-up
    before = {name: tree(out / name) for name in users}
    code, stdout, err = run("report", "--month", MONTH, "--db", env.db, "--out", out)
    assert code == 0 and not one_line_error(err) and f"{out / MONTH / 'index.html'}" in stdout, err
    assert {name: tree(out / name) for name in users} == before
    assert not stale.exists() and not old.exists()
    assert sorted(p.name for p in out.iterdir()) == sorted([".lock", MONTH, *users])
    assert sha256(env.db) == env.digest


def test_a_failed_notebook_is_not_put_in_the_user_s_failed_folder(env, run, monkeypatch):
    out = env.tmp / "reports"
    env.pack(out / MONTH)
    boom = _notebook(env.tmp / "boom.ipynb", "1 / 0")
    monkeypatch.setenv("PMO_REPORT_NOTEBOOKS", str(boom))
    mine = out / f".failed-{MONTH}"
    mine.mkdir()
    (mine / "boom.ipynb").write_text("the user's own boom.ipynb, repaired")
    before = _users(out)
    code, _, err = run("report", "--month", MONTH, "--db", env.db, "--out", out)
    line = _refused(code, err, "boom.ipynb failed in cell 2", "ZeroDivisionError", "nothing was published")
    assert "executed notebook is in" not in line
    assert _users(out) == before and sha256(env.db) == env.digest


def test_a_file_dropped_into_the_pack_while_it_renders_is_kept(env, run, monkeypatch):
    out = env.tmp / "reports"
    before = tree(env.pack(out / MONTH))
    note = out / MONTH / "notes.txt"  # written by the notebook, as a user would while it runs
    sneaky = _notebook(env.tmp / "tiny.ipynb", f"open({str(note)!r}, 'w').write('my notes')")
    monkeypatch.setenv("PMO_REPORT_NOTEBOOKS", str(sneaky))
    code, _, err = run("report", "--month", MONTH, "--db", env.db, "--out", out)
    _refused(code, err, str(out / MONTH), "holds notes.txt, which pmo did not write")
    assert tree(out / MONTH) == {**before, "notes.txt": sha256(note)}  # the previous pack, and the note
    assert sorted(p.name for p in out.iterdir()) == [".lock", MONTH] and sha256(env.db) == env.digest


# ---------------------------------------------------------------------------------------------
# faults and concurrency

def _file_size_limit(limit: int):
    def preexec() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    return preexec


def test_disk_full_while_rendering_keeps_the_previous_pack(env):
    out = env.tmp / "reports"
    env.pack(out / MONTH)
    before = _users(out)
    # 64 kB: the notebook (2 kB) and the kernel's files fit, the report page (about 260 kB) does not.
    proc = subprocess.run([sys.executable, "-c", WITH_NOTEBOOK, env.tiny, "report", "--month", MONTH,
                           "--db", env.db, "--out", out], capture_output=True, text=True, timeout=300,
                          preexec_fn=_file_size_limit(64 * 1024))
    _refused(proc.returncode, proc.stderr, f"cannot write {out / MONTH} (File too large)", "nothing was published")
    assert _users(out) == before and sha256(env.db) == env.digest


def test_two_reports_of_the_same_month_at_once(env):
    out = env.tmp / "reports"
    env.pack(out / MONTH)
    (env.tmp / "mine.txt").write_text("the user's")
    procs = [subprocess.Popen([sys.executable, "-c", WITH_NOTEBOOK, env.tiny, "report", "--month", MONTH,
                               "--db", env.db, "--out", out], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = [(p.wait(timeout=300), *p.communicate()) for p in procs]
    for code, stdout, err in results:
        assert code == 0 and not one_line_error(err), err
        assert f"report for {MONTH}: {out / MONTH / 'index.html'}" in stdout
    assert _manifest_files(out / MONTH) == ["index.html", "tiny.html", "tiny.ipynb"]  # one complete pack
    assert sorted(p.name for p in out.iterdir()) == [".lock", MONTH]
    assert (env.tmp / "mine.txt").read_text() == "the user's" and sha256(env.db) == env.digest


# ---------------------------------------------------------------------------------------------
# a killed run leaves no process behind

def _marked(marker: str) -> list[tuple[int, bytes]]:
    """The processes whose command line or environment carries `marker` (this run's database path)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            environ = Path(f"/proc/{entry}/environ").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline + environ:
            found.append((int(entry), cmdline.replace(b"\0", b" ")[:120]))
    return found


def _wait_for_kernel(proc: subprocess.Popen, marker: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not any(b"ipykernel" in cmd for _, cmd in _marked(marker)):
        assert proc.poll() is None and time.monotonic() < deadline, "no notebook kernel started"
        time.sleep(0.1)


def _snapshot_digest(database: Path) -> str:
    """Every row of every table, the load times aside: what a re-load of the same exports leaves equal.
    The forecast tables are left out: pmo month computes the month's forecast again (published whole,
    like a load), and its run records when."""
    digest = hashlib.sha256()
    with duckdb.connect(str(database), read_only=True) as con:
        for (table,) in sorted(con.sql("SHOW TABLES").fetchall()):
            if table.startswith("forecast_"):
                continue
            columns = "* EXCLUDE (loaded_at)" if table == "loads" else "*"
            digest.update(repr(con.sql(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()).encode())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def built_digest(built) -> str:
    """_snapshot_digest of the shared database, of which every env.db is a byte-for-byte copy."""
    return _snapshot_digest(built.database)


@pytest.mark.parametrize("command, stop", [("month", signal.SIGKILL), ("report", signal.SIGTERM),
                                           ("report", signal.SIGINT), ("report", signal.SIGHUP)],
                         ids=["month-SIGKILL", "report-SIGTERM", "report-SIGINT-burst", "report-SIGHUP"])
def test_a_killed_run_leaves_no_notebook_running(env, built, built_digest, command, stop):
    out = env.tmp / "reports"
    env.pack(out / MONTH)
    assert env.digest == sha256(built.database)  # env.db is a copy of it, so its rows digest as built_digest
    before, data = tree(out / MONTH), built_digest
    # The real notebooks, on the demo database; `month` re-loads the demo's own exports of the month.
    args = ["month", MONTH, built.exports] if command == "month" else ["report", "--month", MONTH]
    proc = subprocess.Popen([sys.executable, "-m", "pmo_analytics", *args, "--db", env.db, "--out", out],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={k: v for k, v in os.environ.items() if k != "PMO_DB"})
    try:
        _wait_for_kernel(proc, str(env.db))
        start = time.monotonic()
        for _ in range(3 if stop == signal.SIGINT else 1):  # Ctrl+C pressed three times
            proc.send_signal(stop)
            time.sleep(0.05)
        code = proc.wait(timeout=STOP_WITHIN)
        while _marked(str(env.db)) and time.monotonic() - start < STOP_WITHIN:
            time.sleep(0.05)
        print(f"\n{command} {stop.name}: every process gone {time.monotonic() - start:.2f} s after the signal")
        assert _marked(str(env.db)) == []
    finally:
        proc.kill()
        _, err = proc.communicate()
    assert code == (-stop if stop == signal.SIGKILL else 128 + stop), err
    assert tree(out / MONTH) == before and _snapshot_digest(env.db) == data
    if command == "report":
        assert sha256(env.db) == env.digest
    if stop == signal.SIGKILL:  # no chance to clean up: the next run removes the marked work folder
        left = [p for p in out.iterdir() if ".building-" in p.name]
        assert len(left) == 1 and (left[0] / ".pmo-work.json").is_file()
        pack.remove_stale(out)
    else:
        assert "Traceback" not in err and err.strip().splitlines()[-1] == "interrupted; nothing was published"
    assert sorted(p.name for p in out.iterdir()) == [".lock", MONTH]
