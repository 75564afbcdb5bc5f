"""The four head-office roles and what each may do (permission names used by the views).

- ``admin``: everything, including admin users.
- ``marketing``: members (incl. adjustments and cards), campaigns, vouchers, raffles, reports,
  segments.
- ``store_manager``: stores, terminals, members and reports, limited to the stores assigned.
- ``auditor``: reads everything, including the audit log; changes nothing. The full export
  and the import files hold members' personal data and are the admins' alone
  (``exports.run``, ``imports.run``); an auditor sees the list of past imports.
"""

from __future__ import annotations

from enum import StrEnum


class Perm(StrEnum):
    MEMBERS_READ = "members.read"
    MEMBERS_WRITE = "members.write"
    CAMPAIGNS_READ = "campaigns.read"
    CAMPAIGNS_WRITE = "campaigns.write"
    VOUCHERS_READ = "vouchers.read"
    VOUCHERS_WRITE = "vouchers.write"
    RAFFLES_READ = "raffles.read"
    RAFFLES_WRITE = "raffles.write"
    STORES_READ = "stores.read"
    STORES_WRITE = "stores.write"
    TERMINALS_WRITE = "terminals.write"
    REPORTS_READ = "reports.read"
    SEGMENTS_READ = "segments.read"
    SEGMENTS_WRITE = "segments.write"
    AUDIT_READ = "audit.read"
    USERS_READ = "users.read"  # the Users list (admins and auditors: the auditor reads all)
    USERS_WRITE = "users.write"
    JOBS_READ = "jobs.read"  # the Tarefas page (admins and auditors)
    JOBS_RUN = "jobs.run"  # "run now" (admins only)
    IMPORTS_READ = "imports.read"  # the list of past imports (admins and auditors)
    IMPORTS_RUN = "imports.run"  # upload, dry run, run, error files (admins only)
    EXPORTS_RUN = "exports.run"  # the full export and its download (admins only)


_READ = {p for p in Perm if p.value.endswith(".read")}

ROLES: dict[str, frozenset[Perm]] = {
    "admin": frozenset(Perm),
    "marketing": frozenset(
        {
            Perm.MEMBERS_READ,
            Perm.MEMBERS_WRITE,
            Perm.CAMPAIGNS_READ,
            Perm.CAMPAIGNS_WRITE,
            Perm.VOUCHERS_READ,
            Perm.VOUCHERS_WRITE,
            Perm.RAFFLES_READ,
            Perm.RAFFLES_WRITE,
            Perm.REPORTS_READ,
            Perm.SEGMENTS_READ,
            Perm.SEGMENTS_WRITE,
            Perm.STORES_READ,
        }
    ),
    "store_manager": frozenset(
        {Perm.MEMBERS_READ, Perm.STORES_READ, Perm.TERMINALS_WRITE, Perm.REPORTS_READ}
    ),
    "auditor": frozenset(_READ),
}

# Roles whose view of the data is limited to the stores assigned to the user.
STORE_SCOPED = frozenset({"store_manager"})


def permissions(role: str) -> frozenset[Perm]:
    """:raises KeyError: for an unknown role."""
    return ROLES[role]
