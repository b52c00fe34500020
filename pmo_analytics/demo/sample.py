"""A deterministic, realistic synthetic PMO portfolio: the exports a PMO tool would produce.

`write_sample(outdir, projects=60, months=12, seed=7, end="2026-10")` writes the seven canonical
exports (projects, budget_lines, progress, resources, allocations, risks, milestones) as CSV files
whose headers are exactly the contract columns (contract.TABLES), in contract order. With
`history=True` it writes one folder per month end, `outdir/YYYY-MM/`, each holding the exports as
they looked at that month end, so month-over-month comparisons are real.

How the portfolio is simulated
------------------------------
One "truth" is simulated once per seed; every snapshot is a view of it at a month end. So the
past never changes between snapshots (actual spend, progress, achieved milestones, booked hours)
while forecasts, statuses, RAG ratings and risk scores move from month to month. The flat files
written with `history=False` are byte-identical to the last folder written with `history=True`.

* Health is drawn per project from the seed: about 25% cost overruns (CPI 0.75-0.95), about 20%
  schedule slippers (progress runs at 0.7-0.9 of the planned pace; 5% of projects are both),
  the rest healthy (CPI and SPI around 0.97-1.05). Progress is simulated in *earned schedule*
  (months of planned work done per month, Lipke), so SPI(t) = ES/AT is about the drawn pace;
  percent_complete = the baseline curve evaluated at ES, so EV = percent_complete/100 x BAC.
  Spend follows earned value divided by the project's CPI, with noise.
* Managers see trouble late: the forecasts use CPI/SPI estimates that move from 1.0 towards the
  observed values over the first ~8 months, so a troubled project's forecast spend and end_date
  grow over snapshots. `rag` is derived from min(CPI estimate, SPI estimate):
  >=0.95 green, >=0.90 amber_green, >=0.83 amber, >=0.76 amber_red, else red; on-hold projects
  are at least amber, planned ones green, cancelled ones have no RAG (empty cell).
* A few projects go on hold for 2-4 months (no progress, a small holding cost) and a few are
  cancelled during the window (spend and progress stop).

Conventions of the files
------------------------
* Money in GBP (`currency` = GBP), rounded to cents; `bac` is exactly the sum of the project's
  `budget` lines (the approved, time-phased baseline, fixed across snapshots).
* budget_lines: one row per project x month x category the project uses (labour, external, capex,
  opex), from the start month to the later of the baseline finish and the current forecast (or
  actual) finish; rows after the baseline carry budget 0. For periods up to and including the
  snapshot month: consumed = actual spend and forecast = consumed. For later periods: consumed = 0,
  forecast = the re-estimated remaining spend (estimate to complete, phased), committed = open
  orders placed for that period. **committed excludes consumed**: it is orders placed and not yet
  paid (past periods have committed 0); the exposure of a period is consumed + committed.
  Planned (not started) projects forecast exactly their budget.
* progress: one row per project and month from its start month to the snapshot month (or to its
  completion / cancellation month, after which a tool stops reporting); percent_complete is the
  physical progress at the end of that month, non-decreasing, 100 only at completion.
* projects: a project appears in the export at its approval date (1-4 months before its start), so
  later snapshots have more projects; `end_date` is the current forecast finish (the actual finish
  once complete, the cancellation date when cancelled); `baseline_end_date` never changes. A project
  is closed from the month after the one it completes in (that month it is active, phase closure).
* allocations: weeks (Mondays) from 13 weeks before to 13 weeks after the snapshot's month end.
  planned_hours for every week; actual_hours only for weeks whose Sunday is on or before the
  snapshot date (empty after). Each person works on 1-3 projects at a time, in assignments of 8-40
  weeks; hours go only to projects that are active that week and present in the snapshot. A person
  is planned at their own 60-100% of capacity (+-8% week to week) split over the assignments that
  run that week (none in weeks with no active assignment), except two teams (chosen by seed)
  overloaded at 110-140% of capacity for runs of weeks, one run always around the last month end.
* risks: 2-10 per project; risk ids are numbered in the order risks were raised. A risk appears only
  from its raised_date. closed_date is set only for status closed (occurred risks keep it empty).
  Troubled projects' risks grow (probability +0.025 a month, impact +1 after 4 and 10 months);
  mitigated risks of healthy projects shrink. Open risks are closed when their project ends.
* milestones: 3-8 per project, always "Business case approved" (achieved at approval) and
  "Handover to operations" (the project finish); forecast_date = actual_date once achieved.

Everything is vectorised with numpy and written by DuckDB `COPY`, so 5000 projects over 36 months
take a few seconds. Randomness comes from numpy.random.default_rng(seed), drawn in a fixed order,
plus a counter-based hash for per-snapshot noise, so the output depends only on the arguments.
"""
from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from pmo_analytics.contract import DATE, INTEGER, NUMBER, TABLES

__all__ = ["CATEGORIES", "FILES", "write_sample"]

FILES = tuple(f"{name}.csv" for name in TABLES)
CATEGORIES = ("labour", "external", "capex", "opex")
CURRENCY = "GBP"

PORTFOLIOS = ("Digital Transformation", "Infrastructure", "Customer Operations")
PROGRAMS = (
    ("Cloud Migration", "Data & Analytics", "Digital Channels", "Workplace Modernisation"),
    ("Network Refresh", "Data Centre Consolidation", "Estates & Facilities", "Cyber Resilience"),
    ("Contact Centre", "Billing & Payments", "Field Service", "Customer Insight"),
)
SUBJECTS = (
    ("CRM", "ERP", "Data Platform", "Customer Portal", "Mobile App", "Document Management",
     "HR System", "Finance System", "Intranet", "Analytics", "Identity Management",
     "Case Management", "Payroll", "Procurement System", "Reporting Suite"),
    ("Data Centre", "Network", "WAN", "Wi-Fi", "Storage", "Backup", "Telephony",
     "End-User Devices", "Server Estate", "Firewall", "Head Office", "Warehouse",
     "Disaster Recovery", "Email", "Print Services"),
    ("Contact Centre", "Billing", "Complaints Handling", "Field Scheduling", "Customer Onboarding",
     "Payments", "Self-Service", "Knowledge Base", "Workforce Management", "IVR", "Collections",
     "Customer Feedback", "Order Management", "Returns Process", "Service Desk"),
)
ACTIONS = ("Replacement", "Upgrade", "Migration", "Modernisation", "Consolidation", "Rollout",
           "Implementation", "Refresh", "Automation", "Redesign", "Integration", "Transformation")
DEPARTMENTS = ("Technology", "Finance", "Operations", "Customer Service", "HR", "Estates")
# Project department weights per portfolio (same order as DEPARTMENTS).
DEPT_WEIGHTS = np.array([
    [0.40, 0.15, 0.15, 0.15, 0.15, 0.00],
    [0.55, 0.00, 0.10, 0.00, 0.00, 0.35],
    [0.00, 0.10, 0.35, 0.55, 0.00, 0.00],
])
PRIORITIES = ("High", "Medium", "Low")
STATUSES = ("planned", "active", "on_hold", "closed", "cancelled")
PHASES = ("initiation", "planning", "delivery", "closure")
RAGS = ("green", "amber_green", "amber", "amber_red", "red")

ROLES = ("Developer", "Analyst", "Engineer", "Architect", "Tester", "Project Manager", "Designer")
ROLE_RATES = np.array([55.0, 48.0, 58.0, 85.0, 42.0, 65.0, 50.0])  # GBP per hour
# team: (department index, weights over ROLES, share of people)
TEAMS = (
    ("Application Development", 0, (0.70, 0.05, 0.00, 0.10, 0.10, 0.00, 0.05), 0.14),
    ("Data & Analytics", 0, (0.30, 0.50, 0.10, 0.10, 0.00, 0.00, 0.00), 0.09),
    ("Cloud Platform", 0, (0.10, 0.00, 0.70, 0.20, 0.00, 0.00, 0.00), 0.08),
    ("Network & Infrastructure", 0, (0.00, 0.00, 0.85, 0.15, 0.00, 0.00, 0.00), 0.08),
    ("Cyber Security", 0, (0.00, 0.30, 0.60, 0.10, 0.00, 0.00, 0.00), 0.06),
    ("Testing & Quality", 0, (0.00, 0.10, 0.00, 0.00, 0.90, 0.00, 0.00), 0.09),
    ("Business Analysis", 2, (0.00, 0.90, 0.00, 0.00, 0.00, 0.00, 0.10), 0.10),
    ("PMO & Delivery", 2, (0.00, 0.25, 0.00, 0.00, 0.00, 0.75, 0.00), 0.11),
    ("Finance Systems", 1, (0.50, 0.50, 0.00, 0.00, 0.00, 0.00, 0.00), 0.06),
    ("Customer Experience", 3, (0.00, 0.50, 0.00, 0.00, 0.00, 0.00, 0.50), 0.08),
    ("People Systems", 4, (0.40, 0.60, 0.00, 0.00, 0.00, 0.00, 0.00), 0.04),
    ("Estates & Facilities", 5, (0.00, 0.00, 0.60, 0.00, 0.00, 0.40, 0.00), 0.07),
)
PM_ROLE = ROLES.index("Project Manager")
PMO_TEAM = 7

FIRST_NAMES = (
    "Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Mia", "Jack", "Ivy", "Leo",
    "Grace", "Arthur", "Freya", "Oscar", "Lily", "Charlie", "Florence", "Jacob", "Sophia", "Thomas",
    "Emily", "James", "Ella", "William", "Poppy", "Henry", "Evie", "Alfie", "Isabella", "Joshua",
    "Alice", "Samuel", "Rosie", "Daniel", "Ruby", "Mohammed", "Aisha", "Priya", "Arjun", "Fatima",
    "Omar", "Zara", "Ravi", "Chloe", "Ethan", "Hannah", "Lucas", "Megan", "Ryan", "Sarah", "David",
    "Laura", "Michael", "Rachel", "Andrew", "Claire", "Paul", "Helen", "Mark", "Karen", "Stephen",
    "Joanne", "Richard", "Nicola", "Peter", "Emma", "Simon", "Rebecca", "Gareth", "Sian", "Callum",
    "Eilidh", "Niamh", "Ciaran", "Wei", "Mei", "Kwame", "Ngozi", "Tomasz",
)
LAST_NAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas",
    "Johnson", "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes",
    "Green", "Hall", "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin",
    "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison",
    "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett",
    "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins",
    "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson",
    "Simpson", "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell",
    "Webb", "Rogers", "Gray", "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen",
    "Palmer", "Holmes", "Mills", "Barnes", "Knight", "Lloyd", "Butler", "Russell", "Barker",
    "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Okafor",
)

MILESTONES = (  # (name, fraction of the baseline schedule)
    ("Business case approved", 0.00),
    ("Requirements signed off", 0.10),
    ("Design complete", 0.20),
    ("Supplier contract awarded", 0.30),
    ("Build complete", 0.55),
    ("UAT complete", 0.75),
    ("Go-live", 0.90),
    ("Handover to operations", 1.00),
)

RISK_CATEGORIES = ("technical", "commercial", "resource", "schedule", "regulatory", "supplier")
RISK_TITLES = (
    ("Integration with legacy {} more complex than estimated", "Performance of {} under peak load not proven",
     "Data quality issues in {} migration", "Vendor API changes may break the {} interface"),
    ("Supplier pricing for {} may rise at renewal", "Exchange rate movement on imported {} equipment",
     "Benefits of the {} business case may not be realised", "Licence and support costs for {} higher than budgeted"),
    ("Key {} specialist may leave the project", "Specialist skills for {} unavailable in-house",
     "Business SMEs not released for {} testing", "Contractor day rates rising, affecting {} work"),
    ("Dependency on {} programme may delay go-live", "Design authority approval for {} may slip",
     "Year-end change freeze limits {} deployment window", "Procurement lead times for {} longer than planned"),
    ("New data protection guidance may require {} redesign", "Accessibility of {} not yet assessed",
     "Audit findings may require additional {} controls", "Regulator approval of {} changes may be delayed"),
    ("Supplier delivery of {} hardware late", "Single supplier dependency for {}",
     "Financial stability concerns at {} supplier", "Offshore partner capacity for {}, support and testing constrained"),
)
RISK_SYSTEMS = ("CRM", "ERP", "billing", "payroll", "data warehouse", "network", "telephony",
                "identity", "payments", "portal", "storage", "case management")
MITIGATIONS = (
    ("Technical spike and proof of concept before build", "Add performance testing to the plan",
     "Engage the vendor's architects early"),
    ("Fix prices in the contract; add a contingency line", "Hedge currency exposure with Treasury",
     "Re-baseline the business case at the next gate"),
    ("Cross-train a second team member; knowledge transfer sessions", "Engage a specialist contractor",
     "Agree SME release with business owners"),
    ("Track the dependency weekly at the programme board", "Re-sequence work to protect the critical path",
     "Book deployment windows early"),
    ("Engage compliance early and review the design", "Commission an independent assessment",
     "Add regulatory review to the stage gate"),
    ("Weekly supplier calls; escalate via the contract manager", "Identify an alternative supplier",
     "Request financial assurance from the supplier"),
)

_K_SIM = 90  # months simulated after a project's start (every project finishes well before)
_K_MAX = _K_SIM + 72  # months a forecast can reach (spi estimate >= 0.6, hold <= 4 months)
_MONTH_DAYS = 30.4375
# Output formats of non-money numbers (money is DECIMAL(18,2): cents).
_FORMATS = {"percent_complete": "DECIMAL(5,1)", "probability": "DECIMAL(3,2)",
            "weekly_capacity_hours": "DECIMAL(5,1)", "planned_hours": "DECIMAL(5,1)",
            "actual_hours": "DECIMAL(5,1)"}


# ---------------------------------------------------------------------------------------------
# small helpers: months as integers (months since 1970-01), days as integers (days since 1970-01-01)

def _first_day(m):
    return np.asarray(m, dtype=np.int64).astype("M8[M]").astype("M8[D]").astype(np.int64)


def _month_end(m):
    return _first_day(np.asarray(m, dtype=np.int64) + 1) - 1


def _days_in_month(m):
    return _month_end(m) - _first_day(m) + 1


def _month_of(day):
    return np.asarray(day, dtype=np.int64).astype("M8[D]").astype("M8[M]").astype(np.int64)


def _monday_on_or_before(day):
    return day - ((day - 4) % 7)  # 1970-01-05 (day 4) was a Monday


def _to_date(day: int) -> _dt.date:
    return _dt.date(1970, 1, 1) + _dt.timedelta(days=int(day))


_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def _mix(z):
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def _hash_u(seed: int, *keys) -> np.ndarray:
    """Uniform [0, 1) numbers that depend only on (seed, keys): noise that is the same whichever
    snapshots are generated (splitmix64 over the keys, broadcast together)."""
    arrays = np.broadcast_arrays(*[np.asarray(k, dtype=np.int64) for k in keys])
    with np.errstate(over="ignore"):
        h = np.full(arrays[0].shape, np.uint64((seed * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) % 2**64))
        for k in arrays:
            h = _mix(h ^ (k.view(np.uint64) + np.uint64(0x9E3779B97F4A7C15)))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 2**53)


def _curves(x) -> np.ndarray:
    """Cumulative spend curves per category (shape x.shape + (4,)), each 0 at x=0 and 1 at x=1."""
    x = np.clip(x, 0.0, 1.0)
    s = x * x * (3 - 2 * x)  # S-curve
    return np.stack([s,  # labour
                     0.6 * s + 0.4 * x,  # external: flatter S
                     x ** 3 * (x * (6 * x - 15) + 10),  # capex: concentrated mid-project
                     0.6 * x + 0.4 * x * x], axis=-1)  # opex: steady, slightly back-loaded


def _crossing(es_rows: np.ndarray, target: np.ndarray, s: np.ndarray):
    """The day each row's earned schedule reaches `target` (months of planned work), and whether it does."""
    reached = es_rows >= target[:, None] - 1e-9
    hit = reached.any(axis=1)
    k = reached.argmax(axis=1)
    r = np.arange(len(k))
    cur = es_rows[r, k]
    prev = np.where(k > 0, es_rows[r, np.maximum(k - 1, 0)], 0.0)
    phi = np.clip(np.where(cur > prev, (target - prev) / np.where(cur > prev, cur - prev, 1.0), 1.0), 0, 1)
    dim = _days_in_month(s + k)
    day = _first_day(s + k) + np.minimum(dim - 1, np.floor(phi * dim).astype(np.int64))
    return day, hit


def _ids(prefix: str, n: int, width: int) -> list[str]:
    width = max(width, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]


# ---------------------------------------------------------------------------------------------
# the simulated truth

class _Model:
    """Everything drawn for one (projects, months, seed, end, people): the portfolio's true history."""

    def __init__(self, projects: int, months: int, seed: int, end: str, people: int):
        rng = np.random.default_rng(seed)
        self.seed, self.P, self.N = seed, projects, people
        P, N = projects, people
        self.end_m = end_m = int(np.datetime64(end, "M").astype(np.int64))
        self.win0 = win0 = end_m - months + 1

        # --- projects: timeline, ordered (and numbered) by approval date
        s = rng.integers(win0 - 18, end_m + 3, P)
        D = np.clip(np.round(5 + rng.gamma(2.2, 6.0, P)), 6, 36).astype(np.int64)
        start_off = rng.integers(0, 15, P)
        appr_m = np.minimum(s - rng.integers(1, 5, P), end_m)
        appr_date = _first_day(appr_m) + rng.integers(0, 20, P)
        order = np.lexsort((np.arange(P), appr_date))
        s, D, start_off, appr_m, appr_date = (x[order] for x in (s, D, start_off, appr_m, appr_date))
        self.s, self.D, self.appr_m, self.appr_date = s, D, appr_m, appr_date
        self.start_date = _first_day(s) + start_off
        self.bl_end = _first_day(s + D) - 1 - rng.integers(0, 11, P)

        port = rng.choice(3, P, p=[0.4, 0.3, 0.3])
        n_prog = rng.integers(2, 5, 3)
        prog_perm = np.stack([rng.permutation(4) for _ in range(3)])
        prog_slot = np.floor(rng.random(P) * n_prog[port]).astype(np.int64)
        self.port = port
        self.program = port * 4 + prog_perm[port, prog_slot]  # index into the flattened PROGRAMS
        cum = np.cumsum(DEPT_WEIGHTS, axis=1)
        self.dept = np.minimum((rng.random(P)[:, None] >= cum[port]).sum(axis=1), len(DEPARTMENTS) - 1)
        self.priority = rng.choice(3, P, p=[0.25, 0.5, 0.25])
        subj = rng.integers(0, 15, P)
        act = rng.integers(0, len(ACTIONS), P)

        # --- health
        u = rng.random(P)
        overrun = u < 0.25
        slip = (u < 0.05) | ((u >= 0.25) & (u < 0.40))
        cp = np.where(overrun, rng.uniform(0.75, 0.95, P),
                      np.where(slip, rng.uniform(0.92, 1.02, P), rng.uniform(0.97, 1.05, P)))
        sp = np.where(slip, rng.uniform(0.70, 0.90, P), rng.uniform(0.97, 1.05, P))
        self.troubled = overrun | slip
        self.overrun, self.slip = overrun, slip

        # --- budget: categories used, size, baseline phasing (integer cents)
        used = rng.random((P, 4)) < np.array([0.95, 0.70, 0.40, 0.60])
        used[~used.any(axis=1), 0] = True
        weights = rng.gamma(np.array([3.0, 2.0, 2.0, 1.0]), 1.0, (P, 4)) * used
        weights /= weights.sum(axis=1, keepdims=True)
        size = np.clip(np.exp(np.log(1.2e6) + 0.04 * (D - 16) + 0.8 * rng.standard_normal(P)), 8e4, 6e7)
        k = np.arange(_K_MAX)
        x0, x1 = k[None, :] / D[:, None], (k[None, :] + 1) / D[:, None]
        phase = (_curves(x1) - _curves(x0)) * (k[None, :] < D[:, None])[:, :, None]
        self.budget = np.round(size[:, None, None] * weights[:, None, :] * phase * 100).astype(np.int64)
        self.used = used
        self.bac_c = self.budget.sum(axis=1)  # (P, 4) cents
        self.bac = self.bac_c.sum(axis=1)  # cents
        wb = self.bac_c / self.bac[:, None]

        # --- progress in earned schedule, with holds and cancellations
        ks = np.arange(_K_SIM)
        rate = sp[:, None] * np.clip(1 + 0.18 * rng.standard_normal((P, _K_SIM)), 0.4, 1.6)
        c0 = (np.cumsum(rate, axis=1) >= D[:, None] - 1e-9).argmax(axis=1)
        hold_flag = rng.random(P) < 0.06
        hold_late = rng.random(P) < 0.5
        hu = rng.random(P)
        hold_len = rng.integers(2, 5, P)
        lo = np.maximum(np.where(hold_late, end_m - 2, win0 - 3), s + 1)
        hi = np.minimum(end_m, s + c0 - 1)
        hold = hold_flag & (lo <= hi)
        self.h0 = np.where(hold, lo + np.floor(hu * (hi - lo + 1)).astype(np.int64) - s, 10**6)
        self.h1 = self.h0 + hold_len
        in_hold = (ks[None, :] >= self.h0[:, None]) & (ks[None, :] < self.h1[:, None])
        rate = np.where(in_hold, 0.0, rate)
        es = np.cumsum(rate, axis=1)
        es[~(es >= D[:, None] - 1e-9).any(axis=1), -1] = D[~(es >= D[:, None] - 1e-9).any(axis=1)]
        c = (es >= D[:, None] - 1e-9).argmax(axis=1)
        es_raw = es.copy()  # unclipped: where inside its month a target is crossed
        es = np.minimum(es, D[:, None])

        canc_flag = rng.random(P) < 0.05
        cu, cday = rng.random(P), rng.random(P)
        lo = np.maximum(s + 1, win0)
        hi = np.minimum(s + c - 1, end_m)
        cancelled = canc_flag & (lo <= hi)
        kc = np.where(cancelled, lo + np.floor(cu * (hi - lo + 1)).astype(np.int64) - s, 10**6)
        kcc = np.minimum(kc, _K_SIM - 1)
        es = np.where(ks[None, :] > kc[:, None], es[np.arange(P), kcc][:, None], es)
        es_raw = np.where(ks[None, :] > kc[:, None], es_raw[np.arange(P), kcc][:, None], es_raw)
        self.cancelled, self.kc = cancelled, kc
        self.c = np.where(cancelled, 10**6, c)
        self.end_k = np.where(cancelled, kc, c)
        self.es = es
        cm = s + kcc
        self.cancel_date = _first_day(cm) + np.floor(cday * _days_in_month(cm)).astype(np.int64)
        finish, _ = _crossing(es_raw, D.astype(np.float64), s)
        self.finish_date = np.maximum(finish, self.start_date)
        self.end_date = np.where(cancelled, self.cancel_date, self.finish_date)  # actual end of work

        # --- actual spend (cents) and physical progress
        g = _curves(es / D[:, None])  # (P, K_SIM, 4)
        dg = np.diff(g, axis=1, prepend=0.0)
        noise = np.exp(0.10 * rng.standard_normal((P, _K_SIM)))[:, :, None] * \
            np.exp(0.05 * rng.standard_normal((P, _K_SIM, 4)))
        spend = self.bac_c[:, None, :] * dg / cp[:, None, None] * noise
        spend[:, :, 0] += 0.1 * self.bac_c[:, 0][:, None] / D[:, None] * in_hold  # holding cost
        spend *= (ks[None, :] <= self.end_k[:, None])[:, :, None]
        ac = np.zeros((P, _K_MAX, 4), dtype=np.int64)
        ac[:, :_K_SIM] = np.round(spend)
        self.ac = ac
        self.cum_ac = np.cumsum(ac[:, :_K_SIM].sum(axis=2), axis=1)
        pct = np.round(100 * (g * wb[:, None, :]).sum(axis=2), 1)
        done = ks[None, :] >= self.c[:, None]
        self.pct = np.where(done, 100.0, np.minimum(pct, 99.9))

        # --- milestones (fixed truth: baselines and actual dates)
        nm = rng.integers(3, 9, P)
        mk = rng.random((P, 6))
        rank = np.argsort(np.argsort(mk, axis=1), axis=1)
        sel = np.hstack([np.ones((P, 1), bool), rank < (nm - 2)[:, None], np.ones((P, 1), bool)])
        mp, mj = np.nonzero(sel)
        first = np.searchsorted(mp, np.arange(P))
        self.ms_p, self.ms_j, self.ms_pos = mp, mj, np.arange(len(mp)) - first[mp]
        frac = np.array([f for _, f in MILESTONES])[mj]
        span = self.bl_end[mp] - self.start_date[mp]
        base = self.start_date[mp] + np.round(frac * span).astype(np.int64)
        self.ms_target = frac * D[mp]
        actual, hit = _crossing(es_raw[mp], self.ms_target, s[mp])
        actual = np.maximum(actual, self.start_date[mp])
        actual = np.where(cancelled[mp], np.minimum(actual, self.cancel_date[mp]), actual)
        actual = np.where(mj == len(MILESTONES) - 1, self.finish_date[mp], actual)
        first_ms = mj == 0
        self.ms_base = np.where(first_ms, appr_date[mp], base)
        self.ms_actual = np.where(first_ms, appr_date[mp], actual)
        self.ms_hit = hit | first_ms

        # --- risks (fixed truth: raised / mitigated / resolved dates)
        nr = rng.integers(2, 11, P)
        rp = np.repeat(np.arange(P), nr)
        R = len(rp)
        rj = np.arange(R) - np.repeat(np.cumsum(nr) - nr, nr)
        self.r_cat = rng.integers(0, 6, R)
        self.r_title = self.r_cat * 4 * len(RISK_SYSTEMS) + rng.integers(0, 4, R) * len(RISK_SYSTEMS) + \
            rng.integers(0, len(RISK_SYSTEMS), R)
        self.r_p0 = np.round(rng.uniform(0.1, 0.9, R) * 20) / 20
        self.r_i0 = rng.choice(5, R, p=[0.15, 0.30, 0.30, 0.17, 0.08]) + 1
        cost_u = rng.uniform(0.6, 1.4, R)
        ru = rng.random(R)
        dur = np.round(30 + rng.exponential(260, R)).astype(np.int64)
        occ_u = rng.random(R)
        mit_flag = rng.random(R) < 0.65
        mit_lag = rng.integers(7, 61, R)
        due_lag = rng.integers(14, 91, R)
        close_lag = rng.integers(5, 41, R)
        owner_blank = rng.random(R) < 0.15
        owner_res = rng.integers(0, max(N, 1), R)
        mit_u = rng.random(R)
        mit_tmpl = rng.integers(0, 3, R)
        pend = self.end_date[rp]
        life = np.maximum(pend - appr_date[rp], 0)
        raised = np.where(rj < 2, appr_date[rp], appr_date[rp] + np.floor(life * ru ** 1.3).astype(np.int64))
        res = raised + dur
        forced = res > pend
        res = np.where(forced, pend + close_lag, res)
        self.r_p, self.r_raised, self.r_res = rp, raised, res
        self.r_occurred = ~forced & (occ_u < np.where(self.troubled[rp], 0.25, 0.10))
        self.r_mit_date = raised + mit_lag
        self.r_has_mit = mit_flag & (self.r_mit_date < res)
        self.r_due = raised + due_lag
        self.r_cost_u = cost_u
        self.r_owner = np.where(owner_blank, -1, owner_res)
        self.r_mitigation = np.where(~self.r_has_mit & (mit_u < 0.5), -1, self.r_cat * 3 + mit_tmpl)
        self.r_order = np.lexsort((rj, rp, raised))  # risk ids are numbered in raised order
        self.r_number = np.empty(R, np.int64)
        self.r_number[self.r_order] = np.arange(R)

        # --- people
        team_w = np.array([t[3] for t in TEAMS])
        team = rng.choice(len(TEAMS), N, p=team_w / team_w.sum())
        role_cum = np.cumsum(np.array([t[2] for t in TEAMS]), axis=1)
        role = np.minimum((rng.random(N)[:, None] >= role_cum[team]).sum(axis=1), len(ROLES) - 1)
        if N and not (role == PM_ROLE).any():
            team[0], role[0] = PMO_TEAM, PM_ROLE
        self.team, self.role = team, role
        self.cap = rng.choice(np.array([37.5, 30.0, 22.5]), N, p=[0.8, 0.1, 0.1])
        self.rate = np.round(ROLE_RATES[role] * rng.uniform(0.85, 1.2, N) * 2) / 2
        self.person_name = rng.integers(0, len(FIRST_NAMES), N) * len(LAST_NAMES) + \
            rng.integers(0, len(LAST_NAMES), N)
        util = rng.uniform(0.6, 1.0, N)
        nslots = rng.choice(np.array([1, 2, 3]), N, p=[0.35, 0.45, 0.20])
        shares = rng.gamma(2.0, 1.0, (N, 3)) * (np.arange(3)[None, :] < nslots[:, None])
        shares /= shares.sum(axis=1, keepdims=True)
        pms = np.nonzero(role == PM_ROLE)[0]
        self.manager = pms[rng.integers(0, len(pms), P)] if len(pms) else np.full(P, -1)

        # --- project names (unique: repeats get a phase number)
        combo = (port * 15 + subj) * len(ACTIONS) + act
        occ = np.zeros(P, np.int64)
        srt = np.argsort(combo, kind="stable")
        cs = combo[srt]
        run_start = np.r_[0, np.nonzero(np.diff(cs))[0] + 1]
        occ[srt] = np.arange(P) - np.repeat(run_start, np.diff(np.r_[run_start, P]))
        self.project_name = [
            f"{SUBJECTS[p][j]} {ACTIONS[a]}" + (f" Phase {o + 1}" if o else "")
            for p, j, a, o in zip(port.tolist(), subj.tolist(), act.tolist(), occ.tolist())
        ]

        # --- allocations: weeks, projects active per week, assignments (stints)
        self.mon0 = mon0 = int(_monday_on_or_before(int(_month_end(win0)) - 91))
        monl = int(_monday_on_or_before(int(_month_end(end_m)) + 91))
        W = self.W = (monl - mon0) // 7 + 1
        self.week_day = wd = mon0 + 7 * np.arange(W)
        rel = _month_of(wd)[None, :] - s[:, None]
        self.active_pw = (self.start_date[:, None] <= wd[None, :] + 6) & (wd[None, :] <= self.end_date[:, None]) & \
            ~((rel >= self.h0[:, None]) & (rel < self.h1[:, None]))
        slot_person = np.repeat(np.arange(N), nslots)
        S = len(slot_person)
        self.slot_person = slot_person
        self.util = util
        self.slot_share = shares[slot_person, np.arange(S) - np.repeat(np.cumsum(nslots) - nslots, nslots)]
        ns = math.ceil((W + 40) / 8) + 1
        L = rng.integers(8, 41, (S, ns))
        off = rng.integers(0, 40, S)
        ends = np.cumsum(L, axis=1) - off[:, None]
        starts = ends - L
        pick_u = rng.random((S, ns))
        keep = (starts < W) & (ends > 0)
        ws = np.clip(starts, 0, W - 1)
        # pick among projects active at the assignment's start and still active 6 weeks later
        later = np.concatenate([self.active_pw[:, 6:], np.repeat(self.active_pw[:, -1:], min(6, W), axis=1)], axis=1)
        wk_i, pr_i = np.nonzero((self.active_pw & later[:, :W]).T)
        cw = np.cumsum(np.sqrt(self.bac[pr_i].astype(np.float64)))
        cw0 = np.r_[0.0, cw]
        seg_lo = np.searchsorted(wk_i, np.arange(W), "left")
        seg_hi = np.searchsorted(wk_i, np.arange(W), "right")
        tot = cw0[seg_hi] - cw0[seg_lo]
        keep &= tot[ws] > 0
        target = cw0[seg_lo][ws] + pick_u * tot[ws]
        idx = np.clip(np.searchsorted(cw, target, side="right"), seg_lo[ws], np.maximum(seg_hi[ws] - 1, 0))
        si, sj = np.nonzero(keep)
        self.st_slot = si
        self.st_start = np.maximum(starts[si, sj], 0)
        self.st_end = np.minimum(ends[si, sj], W)
        self.st_proj = pr_i[idx[si, sj]] if len(pr_i) else np.zeros(len(si), np.int64)

        # overloaded teams: runs of weeks planned 10-40% above capacity, one around the last month end
        self.overload = np.ones((len(TEAMS), W))
        candidates = np.array([t for t in range(len(TEAMS)) if t != PMO_TEAM])
        last_week = (int(_month_end(end_m)) - mon0) // 7
        for t in rng.choice(candidates, 2, replace=False):
            n_runs = max(1, W // 26)
            r_start = np.r_[rng.integers(0, W, n_runs), last_week - rng.integers(2, 9)]
            r_len = np.r_[rng.integers(3, 11, n_runs), rng.integers(6, 11)]
            r_fac = rng.uniform(1.1, 1.4, n_runs + 1)
            for a0, ln, f in zip(r_start.tolist(), r_len.tolist(), r_fac.tolist()):
                self.overload[t, max(a0, 0):max(a0 + ln, 0)] = f

        # labels
        self.project_ids = _ids("PRJ-", P, 4)
        self.resource_ids = _ids("RES-", N, 4)
        self.risk_ids = _ids("RSK-", R, 5)
        self.names = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]

    # -----------------------------------------------------------------------------------------
    def snapshot(self, T: int) -> dict[str, dict[str, pa.Array]]:
        """The seven exports as they look at the end of month T: {table: {column: array}}."""
        seed = self.seed
        d_t = int(_month_end(T))
        ex = np.nonzero(self.appr_m <= T)[0]
        ex_mask = np.zeros(self.P, bool)
        ex_mask[ex] = True
        s, D = self.s[ex], self.D[ex]
        Df = D.astype(np.float64)
        a = T - s
        started = a >= 0
        ak = np.clip(a, 0, _K_SIM - 1)
        es_a = np.where(started, self.es[ex, ak], 0.0)
        cancelled = self.cancelled[ex] & (a >= self.kc[ex])
        complete = ~self.cancelled[ex] & (a >= self.c[ex])
        closed = ~self.cancelled[ex] & (a >= self.c[ex] + 1)
        h0, h1 = self.h0[ex], self.h1[ex]
        on_hold = (a >= h0) & (a < h1) & ~complete & ~cancelled
        planned = ~started
        running = started & ~complete & ~cancelled
        status = np.ones(len(ex), np.int64)
        status[on_hold], status[closed], status[cancelled], status[planned] = 2, 3, 4, 0

        bac_c = self.bac_c[ex].astype(np.float64)
        ev = (bac_c * _curves(es_a / Df)).sum(axis=1)
        cum_ac = np.where(started, self.cum_ac[ex, ak], 0).astype(np.float64)
        cpi_obs = np.where(cum_ac > 0, ev / np.where(cum_ac > 0, cum_ac, 1), 1.0)
        a_eff = np.minimum(a, self.end_k[ex])  # months of work (the clock stops at completion)
        spi_obs = np.where(started, es_a / np.maximum(a_eff + 1, 1), 1.0)
        w = np.clip((a_eff + 1) / 8, 0, 1)
        cpi_est = np.clip(1 + w * (cpi_obs - 1) + (_hash_u(seed, 11, ex, T) - 0.5) * 0.04, 0.6, 1.3)
        spi_est = np.clip(1 + w * (spi_obs - 1) + (_hash_u(seed, 12, ex, T) - 0.5) * 0.04, 0.6, 1.3)
        hold_rem = np.where(on_hold, h1 - 1 - a, 0)
        resume = a + hold_rem

        # projects
        rem = np.where(running, (Df - es_a) / spi_est, 0.0)
        fc_end = d_t + np.maximum(1, np.ceil((rem + hold_rem) * _MONTH_DAYS)).astype(np.int64)
        end_date = np.where(planned, self.bl_end[ex], np.where(
            cancelled, self.cancel_date[ex], np.where(complete, self.finish_date[ex], fc_end)))
        score = np.minimum(cpi_est, spi_est)
        rag = np.searchsorted(-np.array([0.95, 0.90, 0.83, 0.76]), -score, side="right")
        rag = np.where(on_hold, np.maximum(rag, 2), rag)
        rag = np.where(planned, 0, np.where(cancelled, -1, rag))
        pct_a = 100 * ev / self.bac[ex]
        phase = np.where(pct_a < 10, 0, np.where(pct_a < 25, 1, 2))
        phase = np.where(planned, 0, np.where(complete | cancelled, 3, phase))
        projects = {
            "project_id": _dict(ex, self.project_ids),
            "name": pa.array([self.project_name[i] for i in ex.tolist()], pa.string()),
            "portfolio": _dict(self.port[ex], PORTFOLIOS),
            "program": _dict(self.program[ex], [p for ps in PROGRAMS for p in ps]),
            "department": _dict(self.dept[ex], DEPARTMENTS),
            "manager": _dict(self._name_code(self.manager[ex]), self.names),
            "status": _dict(status, STATUSES),
            "phase": _dict(phase, PHASES),
            "priority": _dict(self.priority[ex], PRIORITIES),
            "rag": _dict(rag, RAGS),
            "start_date": _date(self.start_date[ex]),
            "end_date": _date(end_date),
            "baseline_end_date": _date(self.bl_end[ex]),
            "bac": _money(self.bac[ex]),
            "currency": _dict(np.zeros(len(ex), np.int64), (CURRENCY,)),
        }

        # budget lines
        fe = np.where(running, resume + np.ceil(rem - 1e-9).astype(np.int64), 0)
        last = np.maximum.reduce([D - 1, fe, np.where(complete | cancelled, self.end_k[ex], 0)])
        KT = int(last.max()) + 1 if len(ex) else 1
        k = np.arange(KT)
        budget = self.budget[ex, :KT]
        ac = self.ac[ex, :KT]
        past = (k[None, :] <= a[:, None])[:, :, None]
        es_p = np.where(k[None, :] > a[:, None],
                        np.minimum(Df[:, None], es_a[:, None] + np.clip(k[None, :] - resume[:, None], 0, None)
                                   * spi_est[:, None]), es_a[:, None])
        g = _curves(es_p / Df[:, None])
        dg = np.diff(g, axis=1, prepend=g[:, :1])
        future = np.round(bac_c[:, None, :] * dg / cpi_est[:, None, None]).astype(np.int64)
        future = np.where(running[:, None, None], future, 0)
        future = np.where(planned[:, None, None], budget, future)
        forecast = np.where(past, ac, future)
        consumed = np.where(past, ac, 0)
        lead = k[None, :] - a[:, None]
        decay = np.select([lead == 1, lead == 2, lead == 3], [1.0, 0.5, 0.2], 0.0)
        frac = np.array([0.15, 0.8, 0.7, 0.5])
        cu = _hash_u(seed, 21, ex[:, None, None], k[None, :, None], np.arange(4)[None, None, :], T)
        committed = np.round(future * decay[:, :, None] * frac * (0.6 + 0.6 * cu)).astype(np.int64)
        committed = np.where(past, 0, committed)
        mask = (k[None, :] <= last[:, None])[:, :, None] & self.used[ex][:, None, :]
        pi, ki, ci = np.nonzero(mask)
        budget_lines = {
            "project_id": _dict(ex[pi], self.project_ids),
            "period": _date(_first_day(s[pi] + ki)),
            "category": _dict(ci, CATEGORIES),
            "budget": _money(budget[pi, ki, ci]),
            "forecast": _money(forecast[pi, ki, ci]),
            "committed": _money(committed[pi, ki, ci]),
            "consumed": _money(consumed[pi, ki, ci]),
        }

        # progress
        shown = np.where(started, np.minimum(a, self.end_k[ex]), -1)
        kp = np.arange(_K_SIM)
        pi, ki = np.nonzero(kp[None, :] <= shown[:, None])
        progress = {
            "project_id": _dict(ex[pi], self.project_ids),
            "period": _date(_first_day(s[pi] + ki)),
            "percent_complete": _num(self.pct[ex[pi], ki]),
        }

        # milestones
        vis = np.nonzero(ex_mask[self.ms_p])[0]
        mp = self.ms_p[vis]
        loc = np.searchsorted(ex, mp)  # position of the project in this snapshot's arrays
        achieved = self.ms_hit[vis] & (self.ms_actual[vis] <= d_t)
        togo = np.maximum(self.ms_target[vis] - es_a[loc], 0) / spi_est[loc] + hold_rem[loc]
        fc = d_t + np.maximum(1, np.ceil(togo * _MONTH_DAYS)).astype(np.int64)
        fc = np.where(planned[loc], self.ms_base[vis], fc)
        forecast_ms = np.where(achieved, self.ms_actual[vis], fc)
        no_fc = ~achieved & cancelled[loc]
        milestones = {
            "project_id": _dict(mp, self.project_ids),
            "milestone_id": _dict(self.ms_pos[vis], [f"M{i:02d}" for i in range(1, 9)]),
            "name": _dict(self.ms_j[vis], [n for n, _ in MILESTONES]),
            "baseline_date": _date(self.ms_base[vis]),
            "forecast_date": _date(forecast_ms, no_fc),
            "actual_date": _date(self.ms_actual[vis], ~achieved),
        }

        # risks (in risk id order)
        order = self.r_order
        vis = order[ex_mask[self.r_p[order]] & (self.r_raised[order] <= d_t)]
        rp = self.r_p[vis]
        raised, res = self.r_raised[vis], self.r_res[vis]
        t_eff = np.minimum(d_t, res)
        months = (t_eff - raised) / _MONTH_DAYS
        troubled = self.troubled[rp]
        mit_date, has_mit = self.r_mit_date[vis], self.r_has_mit[vis]
        prob = self.r_p0[vis] + np.where(troubled, 0.025 * months, 0.0)
        prob -= np.where(~troubled & has_mit & (t_eff >= mit_date), 0.02 * (t_eff - mit_date) / _MONTH_DAYS, 0.0)
        prob = np.round(np.clip(prob, 0.1, 0.9) * 20) / 20
        impact = np.minimum(5, self.r_i0[vis] + troubled * ((months >= 4).astype(np.int64) + (months >= 10)))
        share = np.array([0.0, 0.005, 0.015, 0.04, 0.08, 0.15])[impact]
        impact_cost = np.maximum(1, np.round(self.bac[rp] * share * self.r_cost_u[vis] / 10000)) * 10000
        rstatus = np.where(res <= d_t, np.where(self.r_occurred[vis], 3, 2),
                           np.where(has_mit & (mit_date <= d_t), 1, 0))
        titles = [t.format(x) for cat in RISK_TITLES for t in cat for x in RISK_SYSTEMS]
        risks = {
            "risk_id": _dict(self.r_number[vis], self.risk_ids),
            "project_id": _dict(rp, self.project_ids),
            "title": _dict(self.r_title[vis], titles),
            "category": _dict(self.r_cat[vis], RISK_CATEGORIES),
            "probability": _num(prob),
            "impact": pa.array(impact.astype(np.int32)),
            "impact_cost": _money(impact_cost),
            "status": _dict(rstatus, ("open", "mitigating", "closed", "occurred")),
            "owner": _dict(self._name_code(self.r_owner[vis]), self.names),
            "raised_date": _date(raised),
            "due_date": _date(self.r_due[vis]),
            "closed_date": _date(res, rstatus != 2),
            "mitigation": _dict(self.r_mitigation[vis], [m for cat in MITIGATIONS for m in cat]),
        }

        return {
            "projects": projects,
            "budget_lines": budget_lines,
            "progress": progress,
            "resources": self._resources(),
            "allocations": self._allocations(d_t, ex, end_date),
            "risks": risks,
            "milestones": milestones,
        }

    def _name_code(self, person: np.ndarray) -> np.ndarray:
        """Codes into self.names of the people `person` (resource indexes; -1 stays empty)."""
        return np.where(person >= 0, self.person_name[np.maximum(person, 0)], -1)

    def _resources(self) -> dict[str, pa.Array]:
        team_dept = np.array([t[1] for t in TEAMS], dtype=np.int64)
        return {
            "resource_id": pa.array(self.resource_ids, pa.string()),
            "name": _dict(self.person_name, self.names),
            "team": _dict(self.team, [t[0] for t in TEAMS]),
            "role": _dict(self.role, ROLES),
            "department": _dict(team_dept[self.team], DEPARTMENTS),
            "weekly_capacity_hours": _num(self.cap),
            "cost_rate": _money(np.round(self.rate * 100)),
        }

    def _allocations(self, d_t: int, ex: np.ndarray, end_date: np.ndarray) -> dict[str, pa.Array]:
        """Weeks from 13 before to 13 after the month end d_t. Past weeks follow what happened (so
        they are the same in every later snapshot); future weeks also stop at the forecast finish."""
        P, W = self.P, self.W
        ex_mask = np.zeros(P, bool)
        ex_mask[ex] = True
        fc_end = np.full(P, -(10**9), np.int64)
        fc_end[ex] = end_date
        w0 = max(0, -((self.mon0 - (d_t - 91)) // 7))  # first Monday >= d_t - 91
        w1 = min(W - 1, (d_t + 91 - self.mon0) // 7)
        lo = np.maximum(self.st_start, w0)
        hi = np.minimum(self.st_end, w1 + 1)
        ln = np.maximum(hi - lo, 0)
        rep = np.repeat(np.arange(len(ln)), ln)
        wk = lo[rep] + np.arange(len(rep)) - np.repeat(np.cumsum(ln) - ln, ln)
        pr = self.st_proj[rep]
        sl = self.st_slot[rep]
        wd = self.week_day[wk]
        ok = self.active_pw[pr, wk] & ex_mask[pr] & ((wd + 6 <= d_t) | (wd <= fc_end[pr]))
        wk, pr, sl = wk[ok], pr[ok], sl[ok]
        pe = self.slot_person[sl]
        key = (pe * P + pr) * W + wk
        uniq, inv = np.unique(key, return_inverse=True)
        share = np.bincount(inv, self.slot_share[sl], minlength=len(uniq))
        upe, upr, uwk = uniq // (P * W), (uniq // W) % P, uniq % W
        day = self.week_day[uwk]
        # each person-week is planned at the person's utilisation (60-100%, +-8% week to week),
        # split over the assignments running that week; overloaded team-weeks at 110-140%
        _, pw_inv = np.unique(upe * W + uwk, return_inverse=True)
        tot = np.bincount(pw_inv, share)[pw_inv]
        fac = self.overload[self.team[upe], uwk]
        over = fac > 1
        load = np.where(over, fac, np.minimum(1.0, self.util[upe] * (0.92 + 0.16 * _hash_u(self.seed, 33, upe, day))))
        hours = self.cap[upe] * load * share / tot
        hours = np.where(over, np.round(hours * 2), np.floor(hours * 2)) / 2
        keep = hours > 0
        upe, upr, day, hours = upe[keep], upr[keep], day[keep], hours[keep]
        booked = day + 6 <= d_t
        h = _hash_u(self.seed, 31, upe, upr, day)
        leave = _hash_u(self.seed, 32, upe, day) < 0.04
        actual = np.where(leave, 0.0, np.minimum(168, np.round(hours * (0.8 + 0.35 * h) * 2) / 2))
        return {
            "resource_id": _dict(upe, self.resource_ids),
            "project_id": _dict(upr, self.project_ids),
            "week": _date(day),
            "planned_hours": _num(np.minimum(hours, 168)),
            "actual_hours": _num(actual, ~booked),
        }


# ---------------------------------------------------------------------------------------------
# arrow columns

def _dict(codes, labels, null=None) -> pa.Array:
    """A text column as dictionary codes into `labels`; code -1 (or `null`) is an empty cell."""
    codes = np.asarray(codes, dtype=np.int64)
    mask = codes < 0 if null is None else (codes < 0) | null
    return pa.DictionaryArray.from_arrays(pa.array(np.where(mask, 0, codes).astype(np.int32), mask=mask),
                                          pa.array(list(labels), pa.string()))


def _date(days, null=None) -> pa.Array:
    days = np.asarray(days, dtype=np.int64)
    if null is None:
        return pa.array(days.astype("M8[D]"))
    return pa.array(np.where(null, 0, days).astype("M8[D]"), mask=np.asarray(null, bool))


def _money(cents) -> pa.Array:
    return pa.array(np.asarray(cents, dtype=np.int64) / 100.0)


def _num(values, null=None) -> pa.Array:
    values = np.asarray(values, dtype=np.float64)
    return pa.array(values) if null is None else pa.array(np.where(null, 0, values), mask=np.asarray(null, bool))


def _write_csv(con: duckdb.DuckDBPyConnection, name: str, columns: dict[str, pa.Array], path: Path) -> None:
    table = TABLES[name]
    data = pa.table({c: columns[c] for c in table.column_names})
    exprs = []
    for col in table.columns:
        q = '"' + col.name + '"'
        if col.money:
            kind = "DECIMAL(18,2)"
        elif col.type == NUMBER:
            kind = _FORMATS.get(col.name, "DOUBLE")
        elif col.type == INTEGER:
            kind = "INTEGER"
        elif col.type == DATE:
            kind = "DATE"
        else:
            kind = "VARCHAR"
        exprs.append(f"CAST({q} AS {kind}) AS {q}")
    con.register("_sample_export", data)
    try:
        target = str(path).replace("'", "''")
        con.sql(f"COPY (SELECT {', '.join(exprs)} FROM _sample_export) TO '{target}' (HEADER, DELIMITER ',')")
    finally:
        con.unregister("_sample_export")


# ---------------------------------------------------------------------------------------------

def write_sample(outdir, projects: int = 60, months: int = 12, seed: int = 7, end: str = "2026-10",
                 history: bool = False, people: int | None = None,
                 progress: Callable[[str], object] | None = None) -> list[tuple[_dt.date, Path]]:
    """Writes the exports. Returns [(as_of month-end date, folder)] for each snapshot written.

    `months` snapshots end at the month ends from end-(months-1) to `end` ("YYYY-MM").
    history=False writes the last snapshot's seven CSV files directly in `outdir`; history=True
    writes one folder `outdir/YYYY-MM/` per snapshot month (and no flat files). `people` defaults
    to 2 x projects. `progress`, if given, is called with one message per snapshot written.
    """
    projects, months, seed = int(projects), int(months), int(seed)
    people = 2 * projects if people is None else int(people)
    if projects < 1 or months < 1 or people < 1:
        raise ValueError("projects, months and people must be at least 1")
    try:
        np.datetime64(end, "M")
    except ValueError:
        raise ValueError(f"end must be a month as YYYY-MM, not {end!r}") from None
    model = _Model(projects, months, seed, str(end), people)
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    snapshot_months = range(model.win0, model.end_m + 1) if history else [model.end_m]
    written = []
    con = duckdb.connect()
    try:
        con.sql("SET preserve_insertion_order = true")
        for T in snapshot_months:
            as_of = _to_date(int(_month_end(T)))
            folder = outdir / as_of.strftime("%Y-%m") if history else outdir
            folder.mkdir(parents=True, exist_ok=True)
            tables = model.snapshot(T)
            for name, cols in tables.items():
                _write_csv(con, name, cols, folder / f"{name}.csv")
            written.append((as_of, folder))
            if progress is not None:
                rows = sum(len(next(iter(c.values()))) for c in tables.values())
                progress(f"sample: wrote snapshot {as_of.isoformat()} ({len(tables['projects']['project_id'])} "
                         f"projects, {rows:,} rows) to {folder}")
    finally:
        con.close()
    return written
