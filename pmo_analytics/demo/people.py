"""People: who the resource pool is (team, role, capacity, cost rate, name), how busy each person
likes to be and on how many projects at once, and which project managers run which projects."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from pmo_analytics.demo.columns import coded, money, numeric
from pmo_analytics.demo.vocabulary import (
    DEPARTMENTS,
    FIRST_NAMES,
    LAST_NAMES,
    PERSON_NAMES,
    PM_ROLE,
    PMO_TEAM,
    ROLE_RATES,
    ROLES,
    TEAM_NAMES,
    TEAMS,
    numbered_ids,
)


@dataclass(frozen=True)
class Staff:
    """The resource pool, one entry per person (codes into vocabulary.py's labels)."""

    team: np.ndarray
    role: np.ndarray
    capacity: np.ndarray  # weekly hours: 37.5 (80%), 30 or 22.5
    rate: np.ndarray  # GBP per hour, to the half pound
    name: np.ndarray  # codes into PERSON_NAMES
    utilisation: np.ndarray  # the share of capacity the person is usually planned at, 0.6-1.0
    slots: np.ndarray  # how many projects the person works on at a time, 1-3
    slot_shares: np.ndarray  # (N, 3) how the person's time splits over those slots
    ids: list[str]


def simulate_people(rng: np.random.Generator, N: int) -> Staff:
    """Teams by their share of people, roles by team; at least one project manager."""
    team_w = np.array([t[3] for t in TEAMS])
    team = rng.choice(len(TEAMS), N, p=team_w / team_w.sum())
    role_cum = np.cumsum(np.array([t[2] for t in TEAMS]), axis=1)
    role = np.minimum((rng.random(N)[:, None] >= role_cum[team]).sum(axis=1), len(ROLES) - 1)
    if N and not (role == PM_ROLE).any():
        team[0], role[0] = PMO_TEAM, PM_ROLE
    cap = rng.choice(np.array([37.5, 30.0, 22.5]), N, p=[0.8, 0.1, 0.1])
    rate = np.round(ROLE_RATES[role] * rng.uniform(0.85, 1.2, N) * 2) / 2
    name = rng.integers(0, len(FIRST_NAMES), N) * len(LAST_NAMES) + rng.integers(0, len(LAST_NAMES), N)
    util = rng.uniform(0.6, 1.0, N)
    nslots = rng.choice(np.array([1, 2, 3]), N, p=[0.35, 0.45, 0.20])
    shares = rng.gamma(2.0, 1.0, (N, 3)) * (np.arange(3)[None, :] < nslots[:, None])
    shares /= shares.sum(axis=1, keepdims=True)
    return Staff(team=team, role=role, capacity=cap, rate=rate, name=name, utilisation=util, slots=nslots,
                 slot_shares=shares, ids=numbered_ids("RES-", N, 4))


def appoint_managers(rng: np.random.Generator, staff: Staff, P: int) -> np.ndarray:
    """Each project's manager: a person with the project manager role, drawn evenly (-1: nobody)."""
    pms = np.nonzero(staff.role == PM_ROLE)[0]
    return pms[rng.integers(0, len(pms), P)] if len(pms) else np.full(P, -1)


def name_codes(staff: Staff, person: np.ndarray) -> np.ndarray:
    """Codes into PERSON_NAMES of the people `person` (resource indexes; -1 stays empty)."""
    return np.where(person >= 0, staff.name[np.maximum(person, 0)], -1)


def resource_rows(staff: Staff) -> dict[str, pa.Array]:
    """The resources export: the same in every snapshot."""
    team_dept = np.array([t[1] for t in TEAMS], dtype=np.int64)
    return {
        "resource_id": pa.array(staff.ids, pa.string()),
        "name": coded(staff.name, PERSON_NAMES),
        "team": coded(staff.team, TEAM_NAMES),
        "role": coded(staff.role, ROLES),
        "department": coded(team_dept[staff.team], DEPARTMENTS),
        "weekly_capacity_hours": numeric(staff.capacity),
        "cost_rate": money(np.round(staff.rate * 100)),
    }
