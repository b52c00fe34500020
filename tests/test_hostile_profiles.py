"""Wrong profiles: one error line naming the file, the key and the type expected; exit 2; nothing touched.

Each case runs the real CLI on a small export with a .toml written here, after a good load made the
database, and checks that the database, the export and the profile are byte-for-byte unchanged.
"""
import tomllib

import pytest
from conftest import one_line_error, tree

import pmo_analytics
from pmo_analytics.ingest import profiles
from pmo_analytics.ingest.profiles import schema as profile_schema

EXPORT = ("Projekt;Monat;Kostenart;Plan;Prognose;Bestellt;Ist\n"
          "P-100;01.03.2025;Personal;12.000,00;12.500,00;0;11.800,00\n"
          "P-101;01.03.2025;Extern;2.000,50;n/a;0;1.000,00\n")
READ = {"delimiter": '";"', "decimal": '","', "thousands": '"."', "dates": '["%d.%m.%Y"]',
        "placeholders": '["n/a"]'}
COLUMNS = {"project_id": '"Projekt"', "period": '"Monat"', "category": '"Kostenart"', "budget": '"Plan"',
           "forecast": '"Prognose"', "committed": '"Bestellt"', "consumed": '"Ist"'}
SPEC = ("an export column name, a list of them, or a table of columns, column, value, scale, values, "
        "formats, template, default, number_repeats, placeholders")


def profile(read=None, columns=None, top="", tail="") -> str:
    """The finance profile of the README, with keys of [read] or [tables.budget_lines] replaced."""
    r, c = {**READ, **(read or {})}, {**COLUMNS, **(columns or {})}
    return "\n".join([top, 'name = "finance"', "[read]", *(f"{k} = {v}" for k, v in r.items() if v is not None),
                      "[tables.budget_lines]", *(f"{k} = {v}" for k, v in c.items() if v is not None), tail, ""])


@pytest.fixture
def data(tmp_path, run, db_file):
    """A data folder with the export, and a database holding one good load of it."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "finance_export.csv").write_text(EXPORT, encoding="cp1252")
    good = tmp_path / "good.toml"
    good.write_text(profile())
    code, _, err = run("load", folder / "finance_export.csv", "--profile", good, "--as-of", "2025-03",
                       "--db", db_file)
    assert code == 0, err
    return folder


def refused(run, tmp_path, db_file, args, *needles) -> str:
    """Runs the CLI; asserts exit 2, stderr one error line holding every needle, nothing changed."""
    before = tree(tmp_path)
    code, out, err = run(*args)
    lines = one_line_error(err)
    assert code == 2, err
    assert len(lines) == 1 and err.strip() == lines[0], err
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert tree(tmp_path) == before
    return lines[0]


def load_with(run, tmp_path, db_file, folder, content, *needles, command="load") -> str:
    bad = folder / "bad.toml"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    args = [command, folder / "finance_export.csv", "--profile", bad, "--as-of", "2025-03"]
    return refused(run, tmp_path, db_file, args + (["--db", db_file] if command == "load" else []),
                   f"error: {bad}: ", *needles)


HEADER_ROW = "a positive whole number (1 = the first line)"
SCALE = "a finite non-zero number"
DELIMITER = 'one character, "\\\\t" for tab, or "auto"'
DATES = 'a list of date formats, each with a % directive (e.g. "%d.%m.%Y")'
CASES = [
    ("header_row text", {"read": {"header_row": '"two"'}}, "[read] header_row", HEADER_ROW, 'got "two"'),
    ("header_row 0", {"read": {"header_row": "0"}}, "[read] header_row", HEADER_ROW, "got 0"),
    ("header_row -1", {"read": {"header_row": "-1"}}, "[read] header_row", HEADER_ROW, "got -1"),
    ("scale inf", {"columns": {"forecast": '{ columns = "Prognose", scale = inf }'}},
     "[tables.budget_lines] forecast.scale", SCALE, "got inf"),
    ("scale nan", {"columns": {"forecast": '{ columns = "Prognose", scale = nan }'}},
     "[tables.budget_lines] forecast.scale", SCALE, "got nan"),
    ("scale 0", {"columns": {"forecast": '{ columns = "Prognose", scale = 0 }'}},
     "[tables.budget_lines] forecast.scale", SCALE, "got 0"),
    ("scale text", {"columns": {"forecast": '{ columns = "Prognose", scale = "1e6" }'}},
     "[tables.budget_lines] forecast.scale", SCALE, 'got "1e6"'),
    ("delimiter empty", {"read": {"delimiter": '""'}}, "[read] delimiter", DELIMITER, 'got ""'),
    ("delimiter two", {"read": {"delimiter": '";;"'}}, "[read] delimiter", DELIMITER, 'got ";;"'),
    ("encoding", {"read": {"encoding": '"klingon"'}}, "[read] encoding",
     'a text encoding Python knows (e.g. "utf-8", "cp1252") or "auto"', 'got "klingon"'),
    ("encoding not text", {"read": {"encoding": '"base64"'}}, "[read] encoding", "text encoding", 'got "base64"'),
    ("decimal is thousands", {"read": {"decimal": '"."', "thousands": '"."'}}, "[read] decimal, thousands",
     "two different characters", '"." for both (12.50 would read as 1250)'),
    ("decimal two", {"read": {"decimal": '",,"'}}, "[read] decimal",
     "one character, not a digit, sign, bracket or space", 'got ",,"'),
    ("spec number", {"columns": {"forecast": "5"}}, "[tables.budget_lines] forecast:", SPEC, "got 5"),
    ("spec typo", {"columns": {"forecast": '{ colums = "Prognose" }'}}, "[tables.budget_lines] forecast.colums",
     "unknown key (did you mean columns?)", "expected one of columns, column, value, scale"),
    ("spec no source", {"columns": {"forecast": '{ scale = 1e6 }'}}, "[tables.budget_lines] forecast:",
     "expected exactly one of columns, column, template, value", "got none"),
    ("kind", {"top": 'kind = "sql"'}, "kind:", "one of mapped, canonical, workbook, mspdi", 'got "sql"'),
    ("section typo", {"tail": '[raed]\nencoding = "cp1252"'}, "[raed]: unknown section",
     "(did you mean [read]?)", "expected [read], [detect], [id_map], [tables.<table>]"),
    ("top-level key", {"top": 'encoding = "cp1252"'}, "encoding: unknown top-level key",
     "(it belongs in [read])", "expected one of name, description, kind or a section [read]"),
    ("top-level typo", {"top": 'nmae = "x"'}, "nmae: unknown top-level key", "(did you mean name?)", "kind"),
    ("read typo", {"read": {"dlimiter": '";"'}}, "[read] dlimiter", "unknown key (did you mean delimiter?)",
     "expected one of encoding, delimiter, header_row"),
    ("detect typo", {"tail": '[detect]\ncolumn = ["Projekt"]'}, "[detect] column",
     "unknown key (did you mean columns?)", "expected one of columns"),
    ("dates number", {"read": {"dates": "5"}}, "[read] dates", DATES, "got 5"),
    ("dates no directive", {"read": {"dates": '["%d.%m.%Y", "31.12.2024"]'}}, "[read] dates", DATES,
     'got "31.12.2024" in ["%d.%m.%Y", "31.12.2024"]'),
    ("dates unknown directive", {"read": {"dates": '"%d.%Q.%Y"'}}, "[read] dates", DATES, 'got "%d.%Q.%Y"'),
    ("column formats", {"columns": {"period": '{ columns = "Monat", formats = ["01.03.2025"] }'}},
     "[tables.budget_lines] period.formats", DATES, 'got "01.03.2025"'),
    ("placeholders number", {"read": {"placeholders": "5"}}, "[read] placeholders", "a list of strings", "got 5"),
    ("placeholders item", {"read": {"placeholders": '["n/a", 0]'}}, "[read] placeholders", "a list of strings",
     'got 0 in ["n/a", 0]'),
    ("transpose", {"read": {"transpose": '"yes"'}}, "[read] transpose", "true or false", 'got "yes"'),
    ("units", {"read": {"units": "5"}}, "[read] units", "a list of strings", "got 5"),
    ("values", {"columns": {"category": '{ columns = "Kostenart", values = { Personal = 5 } }'}},
     "[tables.budget_lines] category.values", "a table of export value = canonical value (strings)",
     "got Personal = 5"),
    ("template", {"columns": {"project_id": '{ template = "P-100" }'}}, "[tables.budget_lines] project_id.template",
     'a string naming export columns in braces, e.g. "{School} - {Description}"', 'got "P-100"'),
    ("template brace", {"columns": {"project_id": '{ template = "{Projekt" }'}},
     "[tables.budget_lines] project_id.template", "naming export columns in braces", 'got "{Projekt"'),
    ("distinct", {"tail": "", "columns": {"distinct": '"yes"'}}, "[tables.budget_lines] distinct",
     "true or false", 'got "yes"'),
    ("scale on text", {"columns": {"category": '{ columns = "Kostenart", scale = 2 }'}},
     "[tables.budget_lines] category.scale", "scale only on a number column", "got it on a TEXT column"),
    ("value and more", {"columns": {"category": '{ value = "x", default = "y" }'}},
     "[tables.budget_lines] category:", "no other key beside value (a constant)", "got default"),
    ("kind with tables", {"top": 'kind = "workbook"'}, "[read]:", 'no [read] with kind = "workbook"', "got [read]"),
]


@pytest.mark.parametrize("case, parts, key, expected, got", CASES, ids=[c[0] for c in CASES])
def test_a_wrong_key_is_one_line_naming_file_key_and_type(run, tmp_path, db_file, data, case, parts, key,
                                                          expected, got):
    load_with(run, tmp_path, db_file, data, profile(**parts), key, expected, got)


@pytest.mark.parametrize("content, needles", [
    ('name = "café"\n'.encode("cp1252"), ["not UTF-8 text (byte 11)", "expected a profile file saved as UTF-8"]),
    (b"", ["the profile is empty; expected at least kind, [read] or [tables.<table>]"]),
    (b"# nothing but a comment\n\n", ["the profile is empty"]),
], ids=["not utf-8", "empty", "comments only"])
def test_a_profile_file_that_cannot_be_a_profile(run, tmp_path, db_file, data, content, needles):
    load_with(run, tmp_path, db_file, data, content, *needles)


def test_a_profile_that_is_a_folder(run, tmp_path, db_file, data):
    (data / "bad.toml").mkdir()
    refused(run, tmp_path, db_file, ["load", data / "finance_export.csv", "--profile", data / "bad.toml",
                                     "--as-of", "2025-03", "--db", db_file],
            f"error: {data / 'bad.toml'}: is a folder; expected a profile file (UTF-8 TOML)")


def test_check_refuses_a_bad_profile_the_same_way(run, tmp_path, db_file, data):
    load_with(run, tmp_path, db_file, data, profile(read={"header_row": '"two"'}), "[read] header_row",
              HEADER_ROW, command="check")


@pytest.mark.parametrize("content, needle", [
    (profile(read={"header_row": "0"}, tail='[detect]\ncolumns = ["Projekt", "Prognose"]'), "[read] header_row"),
    ('name = "café"\n'.encode("cp1252"), "not UTF-8 text"),
], ids=["bad key", "not utf-8"])
def test_a_bad_profile_in_the_data_folder_is_an_error_not_skipped(run, tmp_path, db_file, data, content, needle):
    """Auto-detection tries the folder's profiles: a broken one is named, never passed over."""
    local = data / "local.toml"
    local.write_bytes(content if isinstance(content, bytes) else content.encode())
    refused(run, tmp_path, db_file, ["load", data / "finance_export.csv", "--as-of", "2025-03", "--db", db_file],
            f"error: {local}: ", needle, "(a profile in the data folder, tried for auto-detection; fix or move it)")


@pytest.mark.parametrize("read, export", [
    ({"placeholders": '"n/a"'}, EXPORT),
    ({"units": '"mn"', "placeholders": '"n/a"'}, EXPORT.replace("12.500,00", "0,0125mn")),
], ids=["placeholders", "units"])
def test_one_string_is_a_list_of_one(run, tmp_path, db_file, read, export):
    """`placeholders = "n/a"` is the code "n/a" (not the codes n, / and a); `units = "mn"` likewise."""
    (tmp_path / "finance_export.csv").write_text(export, encoding="cp1252")
    columns = {"forecast": '{ columns = "Prognose", scale = 1e6 }'} if "units" in read else {}
    (tmp_path / "p.toml").write_text(profile(read=read, columns=columns))
    code, _, err = run("load", tmp_path / "finance_export.csv", "--profile", tmp_path / "p.toml",
                       "--as-of", "2025-03", "--db", db_file)
    assert code == 0, err
    assert "column forecast: 1 placeholder value(s) (n/a) treated as missing" in err
    with pmo_analytics.connect(db_file) as con:
        rows = con.sql("SELECT project_id, category, forecast FROM budget_lines ORDER BY 1").fetchall()
    assert rows == [("P-100", "Personal", 12500.0), ("P-101", "Extern", None)]


@pytest.mark.parametrize("path", sorted(profiles.SHIPPED.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_profile_passes_the_schema(path):
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    profile_schema.check(data, str(path))
    assert profiles.parse(path.read_text(encoding="utf-8"), path=path).name == data["name"]


def test_the_schema_declares_every_profile_field_once():
    """Each Profile reading option and ColumnMap field comes from a key declared in the schema."""
    read = set(profile_schema.SCHEMA["read"])
    assert read <= set(profiles.Profile.__dataclass_fields__)
    assert set(profile_schema.COLUMN) - {"columns", "column"} <= set(profiles.ColumnMap.__dataclass_fields__)
    for section in profile_schema.SCHEMA.values():
        assert all(key.expected and key.help for key in section.values())
