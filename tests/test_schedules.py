"""MS Project XML (MSPDI) schedules -> canonical tables, checked against the real MPXJ test files.

Expected values are read from the raw XML by a different code path (regular expressions on the text,
or hard-coded from the file by eye, with the line or element they come from).
"""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from pmo_analytics import contract
from pmo_analytics.exceptions import InputError
from pmo_analytics.ingest.schedules.mspdi import COLUMNS, is_mspdi, parse_datetime, parse_duration_hours, read_mspdi

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "mpxj-schedule-exports"
MSPDI_FILES = ["baselines.xml", "legacy_sample.xml", "mspdiresource.xml", "mspditimephased.xml"]
NOT_MSPDI = ["legacy_sample.mpx", "assignment_resource-rates-test.xer", "planner-sample.planner",
             "assignment_resource-rates-test.xml", "legacy_sample.mpp", "mpp14baseline.mpp", "SOURCE.txt"]



def test_real_exports_are_beside_the_project():
    # ../shared/realdata is part of the set-up (CI lays it beside the clone): missing data is a failure.
    assert REAL.is_dir(), f"{REAL} is missing"


@pytest.fixture(scope="module")
def read():
    cache = {}

    def _read(name):
        if name not in cache:
            cache[name] = read_mspdi(REAL / name)
        return cache[name]
    return _read


# --- independent readings of the raw XML (regular expressions, not ElementTree) ---------------------

def _raw(name: str) -> str:
    return (REAL / name).read_text(encoding="utf-8")


def _blocks(text: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}>(.*?)</{tag}>", text, flags=re.DOTALL)


def _own(block: str) -> str:
    """A Task/Assignment block without its nested Baseline / TimephasedData / link children."""
    for nested in ("Baseline", "TimephasedData", "PredecessorLink", "ExtendedAttribute"):
        block = re.sub(rf"<{nested}>.*?</{nested}>", "", block, flags=re.DOTALL)
    return block


def _field(block: str, name: str) -> str | None:
    m = re.search(rf"<{name}>([^<]*)</{name}>", _own(block))
    return m.group(1) if m else None


def _pt_hours(text: str) -> float:
    h, m, s = re.fullmatch(r"PT(\d+)H(\d+)M(\d+)S", text).groups()
    return int(h) + int(m) / 60 + int(s) / 3600


def _raw_milestones(name: str) -> int:
    return sum(1 for b in _blocks(_raw(name), "Task")
               if _field(b, "Milestone") == "1" and _field(b, "UID") != "0")


def _raw_work_resources(name: str) -> dict[str, str]:
    """UID -> Type of named resources (UID 0 is MS Project's placeholder)."""
    out = {}
    for b in _blocks(_raw(name), "Resource"):
        if _field(b, "UID") != "0" and _field(b, "Name"):
            out[_field(b, "UID")] = _field(b, "Type") or "1"
    return out


def _raw_assignment_hours(name: str, field: str) -> float:
    kinds = _raw_work_resources(name)
    return sum(_pt_hours(_field(b, field)) for b in _blocks(_raw(name), "Assignment")
               if kinds.get(_field(b, "ResourceUID")) == "1" and _field(b, field))


# --- structure --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", MSPDI_FILES)
def test_is_mspdi_true_for_ms_project_xml(name):
    assert is_mspdi(REAL / name)


@pytest.mark.parametrize("name", NOT_MSPDI)
def test_is_mspdi_false_for_other_files(name):
    assert not is_mspdi(REAL / name)


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_frames_follow_the_contract(read, name):
    tables = read(name)
    assert set(tables) == set(COLUMNS)
    for table, df in tables.items():
        spec = contract.TABLES[table]
        assert set(df.columns) <= set(spec.column_names), table
        assert set(spec.required) <= set(df.columns), table
        values = df.to_numpy().ravel().tolist()
        assert all(v is None or isinstance(v, str) for v in values), table
        for col in spec.required:
            assert df[col].notna().all(), (table, col)
        assert not df.duplicated(list(spec.key)).any(), table


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_canonical_text_forms(read, name):
    tables = read(name)
    iso = re.compile(r"\d{4}-\d{2}-\d{2}")
    for table, df in tables.items():
        for col in df.columns:
            kind = contract.TABLES[table].column(col).type
            for v in df[col].dropna():
                if kind == contract.DATE:
                    assert iso.fullmatch(v), (table, col, v)
                elif kind == contract.NUMBER:
                    assert re.fullmatch(r"-?\d+(\.\d+)?", v), (table, col, v)
    assert all(v.endswith("-01") for v in tables["progress"]["period"])
    assert all(v.endswith("-01") for v in tables["budget_lines"]["period"])
    from datetime import date
    assert all(date.fromisoformat(w).weekday() == 0 for w in tables["allocations"]["week"])


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_row_order_is_stable(name):
    a, b = read_mspdi(REAL / name), read_mspdi(REAL / name)
    for t in a:
        assert a[t].equals(b[t])


ROW_COUNTS = {  # projects, milestones, progress, budget_lines, resources, allocations
    "baselines.xml": (1, 0, 1, 0, 1, 0),
    "legacy_sample.xml": (1, 1, 1, 3, 2, 22),
    "mspdiresource.xml": (1, 0, 1, 2, 4, 7),
    "mspditimephased.xml": (1, 0, 1, 0, 41, 142),
}


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_row_counts(read, name):
    tables = read(name)
    order = ("projects", "milestones", "progress", "budget_lines", "resources", "allocations")
    assert tuple(len(tables[t]) for t in order) == ROW_COUNTS[name]


# --- milestones -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", MSPDI_FILES)
def test_milestone_count_matches_raw_xml(read, name):
    assert len(read(name)["milestones"]) == _raw_milestones(name)


def test_legacy_sample_milestone_dates(read):
    # legacy_sample.xml (one line): <Task><UID>3</UID>...<Name>Third task</Name>...
    # <Finish>2003-01-07T08:00:00</Finish>...<Milestone>1</Milestone>, PercentComplete 0, no
    # ActualFinish and no <Baseline> element.
    ms = read("legacy_sample.xml")["milestones"]
    row = ms.iloc[0].to_dict()
    assert row == {"project_id": "LEGACY_SAMPLE", "milestone_id": "T3", "name": "Third task",
                   "baseline_date": None, "forecast_date": "2003-01-07", "actual_date": None}


# --- projects and progress --------------------------------------------------------------------------

@pytest.mark.parametrize("name, bac", [
    ("baselines.xml", "0.00"),          # summary task UID 0: <Cost>0</Cost>, no baseline 0 (only 1-10 on UID 1)
    ("legacy_sample.xml", "3526.25"),   # summary task UID 0: <Cost>352625</Cost> (cents)
    ("mspdiresource.xml", "8200.00"),   # line 625: <Cost>820000</Cost>
    ("mspditimephased.xml", "0.00"),
])
def test_bac_equals_raw_summary_cost(read, name, bac):
    summary = next(b for b in _blocks(_raw(name), "Task") if _field(b, "UID") == "0")
    baseline0 = [b for b in _blocks(summary, "Baseline") if re.search(r"<Number>0</Number>", b)]
    raw_cents = _field(baseline0[0], "Cost") if baseline0 else _field(summary, "Cost")
    project = read(name)["projects"].iloc[0]
    assert float(project["bac"]) == pytest.approx(int(raw_cents) / 100)
    assert project["bac"] == bac


def test_legacy_sample_project_row(read):
    # <Title>sample</Title><StartDate>2003-01-07T08:00:00</StartDate><FinishDate>2003-03-18T08:00:00</FinishDate>
    p = read("legacy_sample.xml")["projects"].iloc[0].to_dict()
    assert p == {"project_id": "LEGACY_SAMPLE", "name": "sample", "portfolio": "Schedules", "manager": None,
                 "status": "active", "start_date": "2003-01-07", "end_date": "2003-03-18",
                 "baseline_end_date": None, "bac": "3526.25", "currency": None}


def test_mspdiresource_project_and_progress(read):
    t = read("mspdiresource.xml")
    p = t["projects"].iloc[0]
    assert p["currency"] == "GBP"  # line 16
    assert p["name"] == "mspdiresource"  # no Title; <Name>mspdiresource.xml</Name> without its extension
    # line 48: <CurrentDate>2010-03-16T08:00:00</CurrentDate> (no StatusDate); line 623: <PercentComplete>13
    assert t["progress"].to_dict("records") == [
        {"project_id": "MSPDIRESOURCE", "period": "2010-03-01", "percent_complete": "13"}]


def test_project_id_and_portfolio_arguments():
    t = read_mspdi(REAL / "baselines.xml", project_id="P-42", portfolio="Infra")
    assert t["projects"].iloc[0][["project_id", "name", "portfolio"]].tolist() == ["P-42", "project1", "Infra"]
    assert set(t["progress"]["project_id"]) == {"P-42"}


# --- resources and allocations ----------------------------------------------------------------------

@pytest.mark.parametrize("name, count", [("baselines.xml", 1), ("legacy_sample.xml", 2),
                                         ("mspdiresource.xml", 4), ("mspditimephased.xml", 41)])
def test_resource_count(read, name, count):
    assert len(read(name)["resources"]) == len(_raw_work_resources(name)) == count


def test_mspdiresource_resources(read):
    res = read("mspdiresource.xml")["resources"].set_index("resource_id")
    # lines 965-989: UID 1 Wade Golden, Group Steelray, MaxUnits 1.00, StandardRate 50 (per hour)
    assert res.loc["R1"].to_dict() == {"name": "Wade Golden", "team": "Steelray", "role": "work",
                                       "weekly_capacity_hours": "40", "cost_rate": "50.00"}
    # line 1578-: UID 4 Concrete, Type 0 (material): no hours capacity, no hourly rate
    assert res.loc["R4"][["name", "role", "weekly_capacity_hours", "cost_rate"]].tolist() == [
        "Concrete", "material", None, None]


@pytest.mark.parametrize("name", MSPDI_FILES)
def test_allocation_hours_equal_assignment_work(read, name):
    al = read(name)["allocations"]
    planned = al["planned_hours"].astype(float).sum()
    actual = al["actual_hours"].dropna().astype(float).sum()
    assert planned == pytest.approx(_raw_assignment_hours(name, "Work"), abs=0.01 * max(len(al), 1))
    assert actual == pytest.approx(_raw_assignment_hours(name, "ActualWork"), abs=0.01 * max(len(al), 1))


def test_allocation_totals_known_values(read):
    # legacy_sample: assignments UID 0 (PT200H) and 1 (PT300H); the rest are to resource -65535
    assert read("legacy_sample.xml")["allocations"]["planned_hours"].astype(float).sum() == pytest.approx(500)
    # mspditimephased summary task: <Work>PT3175H0M0S</Work>, <ActualWork>PT1230H0M0S</ActualWork>
    al = read("mspditimephased.xml")["allocations"]
    assert al["planned_hours"].astype(float).sum() == pytest.approx(3175)
    assert al["actual_hours"].dropna().astype(float).sum() == pytest.approx(1230)


def test_legacy_sample_weekly_spread(read):
    # Assignment UID 0: First Resource at 50% on Second Task, 2003-01-07 (Tue) .. 2003-03-17, 4 h a day
    al = read("legacy_sample.xml")["allocations"]
    r1 = al[al.resource_id == "R1"]
    assert r1["week"].iloc[0] == "2003-01-06" and r1["planned_hours"].iloc[0] == "16.00"  # Tue-Fri
    assert r1["planned_hours"].iloc[1] == "20.00"
    # status date = CurrentDate 2003-02-19: weeks after its week have no actuals yet
    assert r1[r1.week > "2003-02-17"]["actual_hours"].isna().all()
    assert (r1[r1.week <= "2003-02-17"]["actual_hours"] == "0.00").all()


def test_unassigned_and_material_assignments_give_no_allocation(read):
    assert read("baselines.xml")["allocations"].empty  # its only assignment is to resource -65535
    assert "R4" not in set(read("mspdiresource.xml")["allocations"]["resource_id"])


# --- budget lines -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", MSPDI_FILES)
def test_budget_lines_add_up_to_leaf_task_costs(read, name):
    leaves = [b for b in _blocks(_raw(name), "Task") if _field(b, "UID") != "0" and _field(b, "Summary") != "1"]
    bl = read(name)["budget_lines"]
    assert bl["forecast"].astype(float).sum() == pytest.approx(sum(int(_field(b, "Cost")) for b in leaves) / 100)
    assert bl["consumed"].dropna().astype(float).sum() == pytest.approx(
        sum(int(_field(b, "ActualCost")) for b in leaves) / 100)
    assert bl["committed"].isna().all()


def test_mspdiresource_budget_lines(read):
    bl = read("mspdiresource.xml")["budget_lines"]
    assert bl[["period", "category", "budget", "forecast", "consumed"]].to_dict("records") == [
        {"period": "2006-08-01", "category": "labour", "budget": None, "forecast": "6700.00", "consumed": "800.00"},
        {"period": "2006-09-01", "category": "labour", "budget": None, "forecast": "1500.00", "consumed": "0.00"},
    ]


# --- files that are not MSPDI -----------------------------------------------------------------------

@pytest.mark.parametrize("name, message", [
    ("legacy_sample.mpx", "MPX file"),
    ("assignment_resource-rates-test.xer", "Primavera P6 XER"),
    ("planner-sample.planner", "GNOME Planner"),
    ("assignment_resource-rates-test.xml", "Primavera P6 XML"),
    ("legacy_sample.mpp", "binary MS Project .mpp"),
    ("SOURCE.txt", "not an XML file"),
])
def test_non_mspdi_files_raise_input_error(name, message):
    with pytest.raises(InputError) as err:
        read_mspdi(REAL / name)
    text = str(err.value)
    assert name in text and message in text and "\n" not in text


def test_truncated_xml(tmp_path):
    data = (REAL / "mspdiresource.xml").read_bytes()
    cut = tmp_path / "mspdiresource_cut.xml"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match=r"mspdiresource_cut\.xml: XML is truncated or damaged"):
        read_mspdi(cut)


@pytest.mark.parametrize("content, message, looks_mspdi", [
    (b"", "the file is empty", False),
    # is_mspdi only looks at the root element: a truncated MSPDI file still looks like one
    (b"<?xml version='1.0'?>\n<Project xmlns='http://schemas.microsoft.com/project'><Name>x</Nam",
     "XML is truncated or damaged", True),
    (b"<html><body>report</body></html>", "root element is <html>", False),
    (b"<Project><Name>not ms project</Name></Project>", "not an MS Project XML (MSPDI) file", False),
    (b"\x00\x01\x02binary", "not an XML file", False),
    (b"<?xml version='1.0'?><Project", "no XML element found", False),
])
def test_bad_files(tmp_path, content, message, looks_mspdi):
    f = tmp_path / "broken.xml"
    f.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(f"{f}: ") + ".*" + re.escape(message)):
        read_mspdi(f)
    assert is_mspdi(f) is looks_mspdi


def test_declared_encodings(tmp_path):
    text = _raw("legacy_sample.xml").replace("<Title>sample</Title>", "<Title>Café “Ω” £</Title>")
    cp = tmp_path / "cp1252.xml"
    cp.write_bytes(text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="windows-1252"?>')
                   .replace("Ω", "O").encode("cp1252"))
    assert read_mspdi(cp)["projects"].iloc[0]["name"] == "Café “O” £"
    u16 = tmp_path / "utf16.xml"
    u16.write_bytes(text.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
                    .encode("utf-16"))
    assert is_mspdi(u16) and read_mspdi(u16)["projects"].iloc[0]["name"] == "Café “Ω” £"
    odd = tmp_path / "odd.xml"
    odd.write_bytes(b'<?xml version="1.0" encoding="no-such-codec"?>\n<Project/>')
    assert not is_mspdi(odd)
    with pytest.raises(InputError, match=r"odd\.xml: cannot read the XML: unknown encoding"):
        read_mspdi(odd)


def test_garbled_values_never_raise(tmp_path):
    """Values MS Project would never write (junk dates, NaN, huge numbers) reach the validator as text."""
    import random
    rng = random.Random(7)
    junk = ["x", "-5", "", "1e309", "NaN", "9999-99-99T00:00:00", "PT-3H", "0001-01-01T00:00:00",
            "9999-12-31T23:59:59", "99999999999999999999", "-65535", "P1Y", "Infinity"]
    data = _raw("mspdiresource.xml")
    spans = [m.span(1) for m in re.finditer(r">([^<>\s][^<>]*)<", data)]
    for i in range(15):
        text = data
        for a, z in sorted(rng.sample(spans, 60), reverse=True):
            text = text[:a] + rng.choice(junk) + text[z:]
        f = tmp_path / f"garbled{i}.xml"
        f.write_text(text, encoding="utf-8")
        tables = read_mspdi(f)
        assert len(tables["projects"]) == 1


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="nope.xml: no such file"):
        read_mspdi(tmp_path / "nope.xml")


def test_without_namespace_reads_the_same(tmp_path):
    text = _raw("mspdiresource.xml").replace(' xmlns="http://schemas.microsoft.com/project"', "")
    f = tmp_path / "plain.xml"
    f.write_text(text, encoding="utf-8")
    assert is_mspdi(f)
    a, b = read_mspdi(REAL / "mspdiresource.xml", project_id="X"), read_mspdi(f, project_id="X")
    for t in a:
        assert a[t].equals(b[t]), t


# --- a small hand-written schedule: baselines, actuals, fixed cost, status date --------------------

SYNTHETIC = """<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
 <SaveVersion>14</SaveVersion><Name>bridge.xml</Name><Title>Bridge</Title><Manager>Ada Lovelace</Manager>
 <StartDate>2024-01-08T08:00:00</StartDate><FinishDate>2024-03-29T17:00:00</FinishDate>
 <CurrencyCode>EUR</CurrencyCode><MinutesPerWeek>2400</MinutesPerWeek>
 <StatusDate>2024-02-14T17:00:00</StatusDate><CurrentDate>2024-05-01T08:00:00</CurrentDate>
 <Tasks>
  <Task><UID>0</UID><Name>Bridge</Name><Summary>1</Summary><PercentComplete>{pct}</PercentComplete>
   <Cost>1200000</Cost><ActualCost>600000</ActualCost>
   <Baseline><Number>1</Number><Finish>2024-04-30T17:00:00</Finish><Cost>1</Cost></Baseline>
   <Baseline><Number>0</Number><Finish>2024-03-22T17:00:00</Finish><Cost>1000000</Cost></Baseline></Task>
  <Task><UID>1</UID><Name>Design</Name><Summary>0</Summary><Milestone>0</Milestone>
   <Start>2024-01-08T08:00:00</Start><Finish>2024-02-02T17:00:00</Finish>
   <ActualStart>2024-01-08T08:00:00</ActualStart><ActualFinish>2024-02-02T17:00:00</ActualFinish>
   <PercentComplete>100</PercentComplete><Cost>400000</Cost><ActualCost>400000</ActualCost>
   <Baseline><Number>0</Number><Start>2024-01-08T08:00:00</Start><Finish>2024-01-31T17:00:00</Finish>
    <Cost>300000</Cost></Baseline></Task>
  <Task><UID>2</UID><Name>Design approved</Name><Summary>0</Summary><Milestone>1</Milestone>
   <Start>2024-02-02T17:00:00</Start><Finish>2024-02-02T17:00:00</Finish><PercentComplete>100</PercentComplete>
   <Cost>0</Cost><Baseline><Number>0</Number><Finish>2024-01-31T17:00:00</Finish><Cost>0</Cost></Baseline></Task>
  <Task><UID>3</UID><Name>Build</Name><Summary>0</Summary><Milestone>0</Milestone>
   <Start>2024-02-05T08:00:00</Start><Finish>2024-03-29T17:00:00</Finish><ActualStart>2024-02-05T08:00:00</ActualStart>
   <PercentComplete>25</PercentComplete><Cost>800000</Cost><ActualCost>200000</ActualCost>
   <Baseline><Number>0</Number><Start>2024-02-01T08:00:00</Start><Finish>2024-03-22T17:00:00</Finish>
    <Cost>700000</Cost></Baseline></Task>
  <Task><UID>4</UID><Name>Handover</Name><Summary>0</Summary><Milestone>1</Milestone>
   <Start>2024-03-29T17:00:00</Start><Finish>2024-03-29T17:00:00</Finish><PercentComplete>0</PercentComplete>
   <Baseline><Number>0</Number><Finish>2024-03-22T17:00:00</Finish></Baseline></Task>
 </Tasks>
 <Resources>
  <Resource><UID>0</UID><Type>1</Type></Resource>
  <Resource><UID>1</UID><Name>Engineer</Name><Type>1</Type><Group>Civil</Group><MaxUnits>0.5</MaxUnits>
   <StandardRate>100</StandardRate><StandardRateFormat>3</StandardRateFormat></Resource>
  <Resource><UID>2</UID><Name>Steel</Name><Type>0</Type><StandardRate>7</StandardRate></Resource>
 </Resources>
 <Assignments>
  <Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID>
   <Start>2024-01-08T08:00:00</Start><Finish>2024-02-02T17:00:00</Finish>
   <Work>PT40H0M0S</Work><ActualWork>PT40H0M0S</ActualWork><Cost>400000</Cost><ActualCost>400000</ActualCost></Assignment>
  <Assignment><UID>2</UID><TaskUID>3</TaskUID><ResourceUID>1</ResourceUID>
   <Start>2024-02-05T08:00:00</Start><Finish>2024-03-29T17:00:00</Finish>
   <Work>PT80H0M0S</Work><ActualWork>PT20H0M0S</ActualWork><Cost>300000</Cost><ActualCost>200000</ActualCost></Assignment>
  <Assignment><UID>3</UID><TaskUID>3</TaskUID><ResourceUID>2</ResourceUID>
   <Work>PT100H0M0S</Work><Cost>500000</Cost><ActualCost>0</ActualCost></Assignment>
  <Assignment><UID>4</UID><TaskUID>2</TaskUID><ResourceUID>-65535</ResourceUID><Work>PT8H0M0S</Work></Assignment>
 </Assignments>
</Project>
"""


@pytest.fixture
def bridge(tmp_path):
    f = tmp_path / "bridge plan.xml"
    f.write_text(SYNTHETIC.format(pct=40), encoding="utf-8")
    return f


def test_synthetic_project_and_milestones(bridge):
    t = read_mspdi(bridge)
    assert t["projects"].iloc[0].to_dict() == {
        "project_id": "BRIDGE_PLAN", "name": "Bridge", "portfolio": "Schedules", "manager": "Ada Lovelace",
        "status": "active", "start_date": "2024-01-08", "end_date": "2024-03-29",
        "baseline_end_date": "2024-03-22", "bac": "10000.00", "currency": "EUR"}
    assert t["milestones"][["milestone_id", "name", "baseline_date", "forecast_date", "actual_date"]
                           ].values.tolist() == [
        ["T2", "Design approved", "2024-01-31", "2024-02-02", "2024-02-02"],  # 100% -> Finish is actual
        ["T4", "Handover", "2024-03-22", "2024-03-29", None]]
    assert t["progress"].values.tolist() == [["BRIDGE_PLAN", "2024-02-01", "40"]]  # StatusDate wins


def test_synthetic_closed_when_summary_complete(tmp_path):
    f = tmp_path / "done.xml"
    f.write_text(SYNTHETIC.format(pct=100), encoding="utf-8")
    assert read_mspdi(f)["projects"].iloc[0]["status"] == "closed"


def test_synthetic_resources_and_allocations(bridge):
    t = read_mspdi(bridge)
    assert t["resources"].values.tolist() == [
        ["R1", "Engineer", "Civil", "work", "20", "100.00"],  # 0.5 x 40 h; rate stored per hour
        ["R2", "Steel", None, "material", None, None]]
    al = t["allocations"]
    assert set(al["resource_id"]) == {"R1"}
    assert al["planned_hours"].astype(float).sum() == pytest.approx(120)
    assert al["actual_hours"].dropna().astype(float).sum() == pytest.approx(60)
    # Design: 40 h over 20 working days (Jan 8 - Feb 2) = 2 h a day -> 10 h a week
    assert al[al.week == "2024-01-08"][["planned_hours", "actual_hours"]].values.tolist() == [["10.00", "10.00"]]
    # status date 2024-02-14 (a Wednesday): its week has actuals, later weeks are blank
    assert al[al.week > "2024-02-12"]["actual_hours"].isna().all()
    assert al[al.week == "2024-02-12"]["actual_hours"].notna().all()


def test_synthetic_budget_lines(bridge):
    bl = read_mspdi(bridge)["budget_lines"]
    money = {c: bl[c].dropna().astype(float) for c in ("budget", "forecast", "consumed")}
    assert money["budget"].sum() == pytest.approx(10000)    # leaf baselines 3000 + 7000
    assert money["forecast"].sum() == pytest.approx(12000)  # leaf costs 4000 + 8000
    assert money["consumed"].sum() == pytest.approx(6000)   # leaf actual costs 4000 + 2000
    by_cat = bl.assign(budget=bl.budget.astype(float)).groupby("category")["budget"].sum()
    # Build's 7000 baseline split like its forecast: 3000 labour : 5000 material
    assert by_cat.to_dict() == pytest.approx({"labour": 3000 + 2625, "external": 4375})
    assert bl[bl.period > "2024-02-01"]["consumed"].isna().all()  # after the status month
    assert bl["period"].tolist() == sorted(bl["period"].tolist())
    # February: Design's forecast 4000 over Jan 8 - Feb 2 (20 working days, 2 in Feb) = 400, Build's
    # labour 3000 over Feb 5 - Mar 29 (40 days, 19 in Feb) = 1425; Build's baseline over Feb 1 - Mar 22
    # (37 days, 21 in Feb): 2625 x 21/37 and 4375 x 21/37; consumed up to the status date.
    feb = bl[bl.period == "2024-02-01"][["category", "budget", "forecast", "consumed"]]
    assert feb.values.tolist() == [["labour", "1489.86", "1825.00", "2400.00"],
                                   ["external", "2483.11", "2375.00", "0.00"]]


# --- value parsers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, hours", [("PT16H30M0S", 16.5), ("PT8H0M0S", 8), ("PT0H0M0S", 0),
                                         ("P1DT2H", 26), ("PT37H30M0S", 37.5), ("-PT1H", -1),
                                         ("PT7H20M", 7 + 1 / 3), ("", None), ("P", None), ("8h", None)])
def test_parse_duration_hours(text, hours):
    result = parse_duration_hours(text)
    assert result == (pytest.approx(hours) if hours is not None else None)


def test_parse_datetime():
    assert parse_datetime("2008-02-11T08:00:00").isoformat() == "2008-02-11T08:00:00"
    assert parse_datetime("2008-02-11").isoformat() == "2008-02-11T00:00:00"
    assert parse_datetime("NA") is None and parse_datetime(None) is None


def test_bad_values_are_passed_on_not_dropped(tmp_path):
    text = SYNTHETIC.format(pct=40).replace("<Finish>2024-03-29T17:00:00</Finish><PercentComplete>0",
                                            "<Finish>someday</Finish><PercentComplete>0")
    f = tmp_path / "bad_values.xml"
    f.write_text(text, encoding="utf-8")
    ms = read_mspdi(f)["milestones"]
    assert ms[ms.milestone_id == "T4"]["forecast_date"].tolist() == ["someday"]


def test_copy_keeps_working(tmp_path):
    # the reader only needs the file itself (no sibling files, no Java)
    f = tmp_path / "copy.xml"
    shutil.copy(REAL / "legacy_sample.xml", f)
    assert read_mspdi(f)["projects"].iloc[0]["project_id"] == "COPY"
