"""Files that cannot be read at all: a one-line error naming the file, exit 1, no traceback."""
import pytest
from conftest import CANONICAL

from pmo_analytics.exceptions import InputError, UsageError
from pmo_analytics.ingest import discovery as ingest


def test_discover_folder_in_contract_order():
    tables = [s.table for s in ingest.discover([CANONICAL])]
    assert tables == ["projects", "budget_lines", "progress", "resources", "allocations", "risks", "milestones"]


def test_file_not_named_after_a_table(tmp_path):
    f = tmp_path / "export_2025.csv"
    f.write_text("a,b\n1,2\n")
    with pytest.raises(InputError, match=r"export_2025.csv: cannot tell which table this file is"):
        ingest.discover([f])


def test_two_files_for_one_table(tmp_path):
    (tmp_path / "projects.csv").write_text("x\n")
    (tmp_path / "projects.xlsx").write_text("x\n")
    with pytest.raises(UsageError, match="two files for table projects"):
        ingest.discover([tmp_path])


@pytest.mark.parametrize("name, content, message", [
    ("projects.csv", b"", "the file is empty"),
    ("projects.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "not a text CSV file; it contains binary data"),
    ("projects.xlsx", b"project_id,name\nP1,a\n", "not a readable Excel workbook"),
])
def test_unreadable_files(tmp_path, run, name, content, message):
    (tmp_path / name).write_bytes(content)
    db = tmp_path / "pmo.duckdb"
    code, out, err = run("load", tmp_path / name, "--as-of", "2025-01", "--db", db)
    assert code == 1
    assert f"error: {tmp_path / name}: {message}" in err
    assert "Traceback" not in err
    assert not db.exists()


def test_semicolon_file_gets_a_hint(tmp_path, run):
    f = tmp_path / "projects.csv"
    f.write_text("project_id;name;portfolio;status\nP1;a;b;active\n")
    code, out, _ = run("check", f, "--profile", "canonical")
    assert code == 1
    assert "required column is missing (the header is a single column: is the file delimited by ';' or tabs?)" in out


def test_header_only_file_is_an_error(tmp_path, run):
    f = tmp_path / "projects.csv"
    f.write_text((CANONICAL / "projects.csv").read_text().splitlines()[0] + "\n")
    code, out, _ = run("check", f)
    assert code == 1
    assert "error: " in out and "the file has a header but no data rows" in out


def test_utf8_check_reads_past_ascii_blocks_and_across_a_block_boundary(tmp_path):
    from pmo_analytics.ingest.text import _is_utf8

    block = 1 << 22  # the check reads the file in blocks of 4 MiB
    ascii_then_latin1 = tmp_path / "late.csv"
    ascii_then_latin1.write_bytes(b"a" * (2 * block) + b"Caf\xe9\n")  # Windows-1252 after 8 MiB of ASCII
    assert not _is_utf8(ascii_then_latin1)
    split = tmp_path / "split.csv"
    split.write_bytes(b"a" * (block - 1) + "é".encode() + b"b" * block)  # é's two bytes in two blocks
    assert _is_utf8(split)
    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"a" * (block - 1) + "é".encode()[:1] + b"b" * block)  # its first byte, then ASCII
    assert not _is_utf8(cut)
