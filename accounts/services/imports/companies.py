"""The companies kind: CRM accounts, with the Salesforce and HubSpot presets, domains, owners and
the parent hierarchy."""

from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Company, CompanyDomain

from . import values as v
from . import writers
from .base import Column, ImportKind
from .common import TIERS, Cells, KeyResolver, _max_length, _money
from .staging import Staging, StagingTable

# --- companies -------------------------------------------------------------------------------

SALESFORCE_ACCOUNT = {
    "external_id": ("Id", "Account ID", "Account ID (18)", "Account ID 18", "AccountId"),
    "name": ("Name", "Account Name"),
    "domains": ("Website", "Account Website", "Domain__c", "Domains__c"),
    "parent_external_id": ("ParentId", "Parent Account ID", "Parent ID", "Parent.Id", "Parent Account ID (18)"),
    "industry": ("Industry",),
    "employee_count": ("NumberOfEmployees", "Employees", "Number of Employees"),
    "annual_revenue": ("AnnualRevenue", "Annual Revenue"),
    "potential_arr": ("Potential_ARR__c", "Potential ARR"),
    "owner_email": ("Owner.Email", "Owner Email", "Account Owner Email", "OwnerEmail", "Account Owner: Email"),
    "country": ("BillingCountry", "Billing Country", "BillingCountryCode", "Billing Country Code"),
    # Salesforce's standard `Type` holds Customer/Prospect/Partner, not a size tier, so only
    # tier fields are mapped: mapping Type would reject every row of a real export.
    "tier": ("Tier__c", "Account_Tier__c", "Account Tier", "Tier", "Customer Tier", "Segment__c"),
}

HUBSPOT_COMPANY = {
    "external_id": ("Record ID", "Company ID", "hs_object_id"),
    "name": ("Company name", "Name"),
    "domains": ("Company Domain Name", "Additional Domains", "Website URL", "domain", "hs_additional_domains"),
    "parent_external_id": (
        "Parent Company (ID)",
        "Parent Company ID",
        "Parent Company Record ID",
        "hs_parent_company_id",
    ),
    "industry": ("Industry",),
    "employee_count": ("Number of Employees", "numberofemployees"),
    "annual_revenue": ("Annual Revenue", "annualrevenue"),
    "potential_arr": ("Potential ARR",),
    "owner_email": ("Company owner (email)", "Company Owner Email", "HubSpot Owner Email", "Owner Email"),
    "country": ("Country/Region", "Country"),
    "tier": ("Tier", "Company Tier", "Account Tier"),
}

COMPANY_SCALARS = ("name", "industry", "employee_count", "annual_revenue", "potential_arr", "tier", "country")


class CompanyImport(ImportKind):
    name = "companies"
    label = "Companies (CRM accounts)"
    columns = (
        Column("external_id", required=True, help="The CRM's id of the account."),
        Column("name", required=True),
        Column("domains", multi=True, help="';'-separated; URLs and www. are reduced to the registered domain."),
        Column("parent_external_id"),
        Column("industry"),
        Column("employee_count"),
        Column("annual_revenue"),
        Column("potential_arr"),
        Column("owner_email", help="A revops login; unknown emails load the company without an owner (warning)."),
        Column("country"),
        Column("tier", help="enterprise, mid_market, smb or empty."),
    )
    presets = {"salesforce": SALESFORCE_ACCOUNT, "hubspot": HUBSPOT_COMPANY}

    def new_state(self, *, present):
        return {
            "present": present,
            "owners": {},
            "domain_lines": {},  # domain → (external_id, line) of its first claim in the file
            "parents": {},  # external_id → (line, parent external_id) of accepted rows
            "domain_owners": KeyResolver(
                CompanyDomain.objects.all(), "company__external_id", "company__name", key="domain"
            ),
        }

    def parse(self, values, state):
        cells = Cells(values)
        external_id = cells(v.text, "external_id", max_length=64, required=True)
        name = cells(v.text, "name", max_length=255, required=True)
        domains = cells(v.domain_list, "domains")
        parent = cells(v.text, "parent_external_id", max_length=64)
        if parent and parent == external_id:
            cells.errors.append(f"parent cycle: company {external_id!r} cannot be its own parent")
        row = (
            external_id,
            name,
            cells(v.text, "industry", max_length=_max_length(Company, "industry")),
            cells(v.whole_number, "employee_count"),
            cells(v.money, "annual_revenue", **_money(Company, "annual_revenue")),
            cells(v.money, "potential_arr", **_money(Company, "potential_arr")),
            cells(v.email, "owner_email"),
            cells(v.choice, "tier", choices=TIERS, default=Company.Tier.UNTIERED),
            cells(v.text, "country", max_length=_max_length(Company, "country")),
            parent or None,
            tuple(domains or ()),
        )
        cells.done()
        return row

    def check(self, batch, state, report):
        owners: dict[str, int | None] = state["owners"]
        emails = {row[7] for row in batch if row[7] and row[7] not in owners}
        if emails:
            found: dict[str, int] = {}
            users = (
                get_user_model()
                .objects.annotate(email_lower=Lower("email"))
                .filter(email_lower__in=emails)
                .order_by("-is_active", "id")
                .values_list("email_lower", "id")
            )
            for email, user_id in users:
                found.setdefault(email, user_id)
            owners.update({email: found.get(email) for email in emails})

        domain_owners: KeyResolver = state["domain_owners"]
        domain_owners.resolve(domain for row in batch for domain in row[11])
        domain_lines: dict[str, tuple[str, int]] = state["domain_lines"]

        accepted = []
        for row in batch:
            line, external_id = row[0], row[1]
            problems = []
            for domain in row[11]:
                owner = domain_owners.get(domain)
                if owner is not None and owner[0] != external_id:
                    problems.append(f"domain {domain} already belongs to company {owner[1]!r} ({owner[0]})")
                    continue
                first = domain_lines.get(domain)
                if first is not None and first[0] != external_id:
                    problems.append(f"domain {domain} is also listed for company {first[0]!r} on line {first[1]}")
            if problems:
                report.reject(line, "; ".join(problems), key=external_id)
                continue
            for domain in row[11]:
                domain_lines.setdefault(domain, (external_id, line))
            email = row[7]
            owner_id, keep_owner = None, False
            if email:
                owner_id = owners.get(email)
                if owner_id is None:
                    keep_owner = True
                    report.warn(
                        line,
                        f"owner_email {email!r} matches no revops user: company loaded without a new owner "
                        f"(an existing owner is kept)",
                    )
            state["parents"][external_id] = (line, row[10])
            accepted.append((*row[:7], owner_id, keep_owner, *row[8:]))
        return accepted

    def finish(self, state, report):
        """Parents must exist (in the file or the database) and never form a cycle, counting
        the parents already in the database for companies the file does not mention."""
        if "parent_external_id" not in state["present"]:
            return
        parents: dict[str, tuple[int, str | None]] = state["parents"]
        # Walk up the database hierarchy from every parent the file names, one query per level.
        in_db = KeyResolver(Company.objects.all(), "parent__external_id")
        frontier = {parent for _, parent in parents.values() if parent} | set(parents)
        while frontier:
            in_db.resolve(frontier)
            frontier = {in_db.get(key) for key in frontier if in_db.get(key) and in_db.get(key) not in in_db.cache}

        accepted = {key: value for key, value in parents.items() if value[0] not in report.rejected_lines}
        changed = True
        while changed:
            changed = False
            for key, (line, parent) in list(accepted.items()):
                if not parent or parent in accepted or in_db.exists(parent):
                    continue
                if parent in parents or parent in report.rejected_keys:
                    bad_line = parents[parent][0] if parent in parents else report.rejected_keys[parent]
                    reason = f"parent {parent!r} was rejected (line {bad_line})"
                else:
                    reason = f"parent_external_id {parent!r} is neither in this file nor in the database"
                report.reject(line, reason, key=key)
                del accepted[key]
                changed = True

            def parent_of(node: str) -> str | None:
                if node in accepted:
                    return accepted[node][1]
                return in_db.get(node)

            state_of: dict[str, int] = {}  # 1 = on the current path, 2 = known acyclic
            for start in list(accepted):
                path: list[str] = []
                node: str | None = start
                while node is not None and state_of.get(node) is None:
                    state_of[node] = 1
                    path.append(node)
                    node = parent_of(node)
                if node is not None and state_of.get(node) == 1:
                    cycle = path[path.index(node) :]
                    shown = " → ".join([*cycle, node])
                    for member in cycle:
                        if member in accepted:
                            report.reject(accepted[member][0], f"parent cycle: {shown}", key=member)
                            del accepted[member]
                            changed = True
                for member in path:
                    state_of[member] = 2

    def staging_tables(self, staging: Staging, state):
        key_type = staging.column_type(Company, "external_id")
        tables = [
            StagingTable(
                "import_company",
                (
                    ("external_id", key_type),
                    *((name, staging.column_type(Company, name)) for name in COMPANY_SCALARS),
                    ("owner_id", "bigint"),
                    ("owner_keep", "boolean"),
                    ("parent_key", key_type),
                ),
                index=("external_id",),
            )
        ]
        if "domains" in state["present"]:
            tables.append(
                StagingTable(
                    "import_company_domain",
                    (("company_key", key_type), ("domain", staging.column_type(CompanyDomain, "domain"))),
                    index=("company_key",),
                )
            )
        return tables

    def stage(self, rows, state):
        # rows: (line, external_id, name, industry, employee_count, annual_revenue, potential_arr,
        #        owner_id, owner_keep, tier, country, parent_key, domains)
        companies = [(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[9], r[10], r[7], r[8], r[11]) for r in rows]
        staged = [("import_company", companies)]
        if "domains" in state["present"]:
            staged.append(("import_company_domain", [(r[0], r[1], domain) for r in rows for domain in r[12]]))
        return staged

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        qn = staging.qn
        company, domain_table = Company._meta.db_table, CompanyDomain._meta.db_table
        stg, stg_domains = "import_company", "import_company_domain"
        touched = writers.create_touched(staging, "import_company_touched")

        if "owner_email" in present:
            # An unknown owner email keeps the owner the company already has.
            staging.execute(
                f"UPDATE {qn(stg)} SET owner_id = (SELECT c.owner_id FROM {qn(company)} c "
                f"WHERE c.external_id = {qn(stg)}.external_id) WHERE owner_keep"
            )
        update_columns = [name for name in COMPANY_SCALARS if name in present]
        if "owner_email" in present:
            update_columns.append("owner_id")
        writers.mark_changed_columns(
            staging,
            touched=touched,
            stg=stg,
            table=company,
            key="external_id",
            compare=[(c, c) for c in update_columns],
        )
        if "parent_external_id" in present:
            writers.mark_touched(
                staging,
                touched=touched,
                select_keys_sql=(
                    f"SELECT t.external_id AS k FROM {qn(stg)} s JOIN {qn(company)} t ON t.external_id = s.external_id "
                    f"LEFT JOIN {qn(company)} p ON p.id = t.parent_id "
                    f"WHERE {staging.distinct('p.external_id', 's.parent_key')}"
                ),
            )
        if "domains" in present:
            writers.mark_touched(
                staging,
                touched=touched,
                select_keys_sql=(
                    f"SELECT d.company_key AS k FROM {qn(stg_domains)} d JOIN {qn(company)} t "
                    f"ON t.external_id = d.company_key WHERE NOT EXISTS (SELECT 1 FROM {qn(domain_table)} cd "
                    f"WHERE cd.domain = d.domain AND cd.company_id = t.id)"
                ),
            )
        loaded = staging.count(stg)
        created = writers.count_new(staging, stg=stg, table=company, key="external_id")
        updated = writers.count_touched(staging, touched)
        now = timezone.now()
        writers.upsert(
            staging,
            stg=stg,
            table=company,
            key="external_id",
            columns=[(name, name) for name in (*COMPANY_SCALARS, "owner_id")],
            update_columns=update_columns,
            touched=touched,
            insert_values={
                **writers.insert_defaults(staging, Company, exclude={"external_id", *COMPANY_SCALARS, "owner_id"}),
                "created_at": now,
                "updated_at": now,
            },
            update_values={"updated_at": now},
        )
        if "parent_external_id" in present:
            new_parent = (
                f"(SELECT p.id FROM {qn(stg)} s JOIN {qn(company)} p ON p.external_id = s.parent_key "
                f"WHERE s.external_id = {qn(company)}.external_id)"
            )
            staging.execute(
                f"UPDATE {qn(company)} SET parent_id = {new_parent} "
                f"WHERE external_id IN (SELECT external_id FROM {qn(stg)}) "
                f"AND {staging.distinct('parent_id', new_parent)}"
            )
        if "domains" in present:
            staging.execute(
                f"INSERT INTO {qn(domain_table)} (company_id, domain) SELECT t.id, d.domain FROM {qn(stg_domains)} d "
                f"JOIN {qn(company)} t ON t.external_id = d.company_key WHERE true ON CONFLICT (domain) DO NOTHING"
            )
        return created, updated, loaded - created - updated
