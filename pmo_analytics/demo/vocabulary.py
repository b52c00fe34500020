"""The words of the synthetic portfolio: portfolios, programmes, departments, teams, roles, people's
names, milestone and risk texts. Label tables only: the simulation draws codes into them."""
from __future__ import annotations

import numpy as np

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
RISK_STATUSES = ("open", "mitigating", "closed", "occurred")

# The label lists the drawn codes index, flattened in code order.
PROGRAM_NAMES = tuple(p for ps in PROGRAMS for p in ps)
TEAM_NAMES = tuple(t[0] for t in TEAMS)
PERSON_NAMES = tuple(f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES)
MILESTONE_NAMES = tuple(n for n, _ in MILESTONES)
MILESTONE_IDS = tuple(f"M{i:02d}" for i in range(1, len(MILESTONES) + 1))
RISK_TITLE_TEXTS = tuple(t.format(x) for cat in RISK_TITLES for t in cat for x in RISK_SYSTEMS)
MITIGATION_TEXTS = tuple(m for cat in MITIGATIONS for m in cat)


def numbered_ids(prefix: str, n: int, width: int) -> list[str]:
    """`prefix` + 1..n zero-padded to `width` digits (more if n needs them): PRJ-0001, RSK-00001."""
    width = max(width, len(str(n)))
    return [f"{prefix}{i:0{width}d}" for i in range(1, n + 1)]
