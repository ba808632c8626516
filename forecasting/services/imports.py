"""`import_data contracts` and `import_data opportunities`: CRM exports into the revenue model.

Both are keyed by external_id (a re-import updates, an unchanged row writes nothing), name the
company by its external id and the owner by username or email. Every row is checked with the same
rules as the services (forecasting.services.contracts / opportunities); a bad row is reported with its
line and reason and nothing of it is written. Registered from ForecastingConfig.ready().
"""
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Company
from accounts.services.imports import Column, ImportKind, RowError, register_import_kind
from accounts.services.imports import values as v
from accounts.services.imports import writers
from accounts.services.imports.common import LOOKUP_CHUNK, Cells, KeyResolver, _max_length, _money
from accounts.services.imports.staging import Staging, StagingTable
from forecasting.models import Contract, Opportunity
from forecasting.services.contracts import contract_problems
from forecasting.services.opportunities import category_problem, stage_defaults

KINDS = v.Choices(Contract.Kind.choices)
STATUSES = v.Choices(Contract.Status.choices)
BILLINGS = v.Choices(Contract.Billing.choices)
TYPES = v.Choices(Opportunity.Type.choices)
STAGES = v.Choices(Opportunity.Stage.choices)
CATEGORIES = v.Choices(Opportunity.Category.choices)
USE_CASES = v.Choices(Opportunity.UseCase.choices)


def day(value: str, *, column: str, required: bool = False) -> date | None:
    """`2026-03-15` (or an ISO date-time: its date) → date."""
    if not value:
        if required:
            raise RowError(f"{column} is required")
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise RowError(f"{column} {value!r} is not a date (use YYYY-MM-DD)") from None


def share(value: str, *, column: str) -> Decimal | None:
    """`0.4`, `40%` or `40` (a percentage when above 1) → a share from 0 to 1."""
    if not value:
        return None
    text = value.strip()
    percent = text.endswith("%")
    number = v.money(text.rstrip("%"), column=column, max_digits=9, decimal_places=4)
    if percent or number > 1:
        number = number / 100
    if number > 1:
        raise RowError(f"{column} {value!r} is not a share between 0 and 1 (or 0–100 %)")
    return number.quantize(Decimal("0.0001"))


class PeopleResolver:
    """Owner by username or email (case-insensitive), cached for the run."""

    def __init__(self):
        self.cache: dict[str, int | None] = {}

    def resolve(self, keys) -> None:
        wanted = sorted({key.lower() for key in keys if key and key.lower() not in self.cache})
        User = get_user_model()
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start:start + LOOKUP_CHUNK]
            found: dict[str, int] = {}
            rows = User.objects.annotate(u=Lower("username"), e=Lower("email")).filter(
                Q(u__in=chunk) | Q(e__in=chunk), is_active=True
            )
            for username, email, user_id in rows.order_by("id").values_list("u", "e", "id"):
                for key in (username, email):
                    if key in chunk:
                        found.setdefault(key, user_id)
            self.cache.update({key: found.get(key) for key in chunk})

    def get(self, key: str) -> int | None:
        return self.cache.get(key.lower()) if key else None


class _RevenueImport(ImportKind):
    """What contracts and opportunities share: company by external id, owner by username or email."""

    def new_state(self, *, present):
        return {
            "present": present,
            "companies": KeyResolver(Company.objects.all(), "id", "owner_id"),
            "people": PeopleResolver(),
            "accepted": {},  # external_id → (line, row) of accepted rows, for whole-file checks
        }

    def _resolve(self, batch, state, report, *, company_at: int, owner_at: int):
        companies: KeyResolver = state["companies"]
        people: PeopleResolver = state["people"]
        companies.resolve(row[company_at] for row in batch)
        people.resolve(row[owner_at] for row in batch)
        out = []
        for row in batch:
            line = row[0]
            found = companies.get(row[company_at])
            if found is None:
                report.reject(line, f"company_external_id: unknown company {row[company_at]!r}", key=row[1])
                continue
            company_id, account_owner = found
            owner_id = account_owner
            if row[owner_at]:
                owner_id = people.get(row[owner_at])
                if owner_id is None:
                    owner_id = account_owner
                    report.warn(line, f"owner {row[owner_at]!r} matches no active revops user (username or email): "
                                      f"the account owner is credited")
            out.append((row, company_id, owner_id))
        return out


# --- contracts ------------------------------------------------------------------------------------


class ContractImport(_RevenueImport):
    name = "contracts"
    label = "Contracts (subscription, consumption, commit, hybrid)"
    columns = (
        Column("external_id", required=True, help="The CRM's or billing system's id of the contract."),
        Column("company_external_id", required=True),
        Column("kind", required=True, help="subscription, consumption, commit or hybrid."),
        Column("start_date", required=True, help="YYYY-MM-DD, first day of service."),
        Column("end_date", required=True, help="YYYY-MM-DD, last day of service (inclusive)."),
        Column("committed_amount", help="Subscription/hybrid: the fee for the term; commit: the minimum spend."),
        Column("name"),
        Column("status", help="draft, active (default), expired or cancelled."),
        Column("billing", help="Commit: prepaid (default) or postpaid (true-up at term end)."),
        Column("included_units", help="Hybrid: usage units included over the term."),
        Column("overage_price", help="Price per unit above the included units or the commit."),
        Column("rollover_fraction", help="Commit: share of the unused balance carried into the renewal (0–1 or %)."),
        Column("renewal_of_external_id", help="The contract this one renews (in the file or already loaded)."),
        Column("owner", help="Username or email of the rep credited; defaults to the account owner."),
        Column("booked_on", help="YYYY-MM-DD the contract was signed."),
    )
    presets = {
        "salesforce": {
            "external_id": ("Id", "ContractNumber", "Contract ID"),
            "company_external_id": ("AccountId", "Account ID"),
            "kind": ("Contract_Kind__c", "Pricing_Model__c", "Kind"),
            "start_date": ("StartDate", "Contract Start Date"),
            "end_date": ("EndDate", "Contract End Date"),
            "committed_amount": ("Committed_Amount__c", "Commit_Amount__c", "Amount"),
            "name": ("Name", "Contract Name"),
            "status": ("Status",),
            "billing": ("Billing__c",),
            "included_units": ("Included_Units__c",),
            "overage_price": ("Overage_Price__c",),
            "rollover_fraction": ("Rollover__c", "Rollover_Fraction__c"),
            "renewal_of_external_id": ("Renewal_Of__c", "Previous_Contract__c"),
            "owner": ("Owner.Email", "Owner Email", "OwnerId"),
            "booked_on": ("CustomerSignedDate", "ActivatedDate"),
        },
    }

    def parse(self, values, state):
        cells = Cells(values)
        external_id = cells(v.text, "external_id", max_length=64, required=True)
        company = cells(v.text, "company_external_id", max_length=64, required=True)
        kind = cells(v.choice, "kind", choices=KINDS, default="")
        if not values["kind"]:
            cells.errors.append("kind is required")
        start = cells(day, "start_date", required=True)
        end = cells(day, "end_date", required=True)
        committed = cells(v.money, "committed_amount", **_money(Contract, "committed_amount"), default=Decimal("0"))
        included = cells(v.money, "included_units", **_money(Contract, "included_units"))
        overage = cells(v.money, "overage_price", **_money(Contract, "overage_price"))
        rollover = cells(share, "rollover_fraction") or Decimal("0")
        name = cells(v.text, "name", max_length=_max_length(Contract, "name"))
        status = cells(v.choice, "status", choices=STATUSES, default=Contract.Status.ACTIVE)
        billing = cells(v.choice, "billing", choices=BILLINGS, default=Contract.Billing.PREPAID)
        renewal = cells(v.text, "renewal_of_external_id", max_length=64)
        owner = cells(v.text, "owner", max_length=254)
        booked = cells(day, "booked_on")
        cells.done()
        row = (external_id, company, name, kind, status, start, end, committed, billing, included, overage, rollover,
               renewal or None, owner.lower(), booked)
        problems = contract_problems(kind=kind, start_date=start, end_date=end, committed_amount=committed,
                                     included_units=included, overage_price=overage, rollover_fraction=rollover)
        if row[12] and row[12] == external_id:
            problems["renewal_of_external_id"] = "A contract cannot renew itself."
        if problems:
            raise RowError("; ".join(f"{field}: {reason}" for field, reason in problems.items()))
        return row

    def check(self, batch, state, report):
        # batch rows: (line, external_id, company, name, kind, status, start, end, committed, billing, included,
        #              overage, rollover, renewal_key, owner, booked_on)
        accepted = []
        for row, company_id, owner_id in self._resolve(batch, state, report, company_at=2, owner_at=14):
            staged = (row[0], row[1], company_id, *row[3:14], owner_id, row[15])
            state["accepted"][row[1]] = staged
            accepted.append(staged)
        return accepted

    def finish(self, state, report):
        """Whole-file rules: renewals point at a contract of the same company that started earlier; no two
        contracts (in the file, or in the file and the database) are overlapping duplicates."""
        accepted: dict[str, tuple] = state["accepted"]
        # staged: (line, external_id, company_id, name, kind, status, start, end, committed, billing, included,
        #          overage, rollover, renewal_key, owner_id, booked_on)
        renewed_keys = {row[13] for row in accepted.values() if row[13] and row[13] not in accepted}
        in_db = KeyResolver(Contract.objects.all(), "company_id", "start_date")
        in_db.resolve(renewed_keys)
        for key, row in list(accepted.items()):
            if row[0] in report.rejected_lines or not row[13]:
                continue
            target = accepted.get(row[13])
            if target is not None and target[0] not in report.rejected_lines:
                company_id, start = target[2], target[6]
            elif in_db.exists(row[13]):
                company_id, start = in_db.get(row[13])
            else:
                where = f"was rejected (line {report.rejected_keys[row[13]]})" if row[13] in report.rejected_keys \
                    else "is neither in this file nor in the database"
                report.reject(row[0], f"renewal_of_external_id: contract {row[13]!r} {where}", key=key)
                continue
            if company_id != row[2]:
                report.reject(row[0], f"renewal_of_external_id: contract {row[13]!r} belongs to another company",
                              key=key)
            elif start >= row[6]:
                report.reject(row[0], f"renewal_of_external_id: the renewal must start after contract {row[13]!r} "
                                      f"(which starts {start:%Y-%m-%d})", key=key)

        live = [row for row in accepted.values()
                if row[0] not in report.rejected_lines and row[5] != Contract.Status.CANCELLED]
        groups: dict[tuple, list[tuple]] = defaultdict(list)
        for row in live:
            groups[(row[2], row[4], row[8])].append(row)
        company_ids = sorted({row[2] for row in live})
        for start in range(0, len(company_ids), LOOKUP_CHUNK):
            existing = (
                Contract.objects.filter(company_id__in=company_ids[start:start + LOOKUP_CHUNK])
                .exclude(status=Contract.Status.CANCELLED)
                .values_list("external_id", "company_id", "kind", "committed_amount", "start_date", "end_date")
            )
            for external_id, company_id, kind, committed, first, last in existing:
                if external_id in accepted:
                    continue  # the file's version of it replaces the database's
                group = groups.get((company_id, kind, committed))
                if group is not None:
                    group.append((None, external_id, company_id, None, kind, None, first, last, committed))
        for group in groups.values():
            if len(group) < 2:
                continue
            group.sort(key=lambda row: (row[6], row[0] is not None, row[0] or 0))
            for i, row in enumerate(group):
                if row[0] is None:
                    continue
                for other in group[:i]:
                    if other[0] is not None and other[0] in report.rejected_lines:
                        continue
                    if other[6] <= row[7] and other[7] >= row[6]:
                        where = f"line {other[0]}" if other[0] is not None else "the database"
                        report.reject(
                            row[0],
                            f"duplicate: overlaps contract {other[1]!r} ({where}) of the same company with the same "
                            f"kind and committed amount ({row[8]:,.2f}), {other[6]:%Y-%m-%d} – {other[7]:%Y-%m-%d}",
                            key=row[1],
                        )
                        break

    def staging_tables(self, staging: Staging, state):
        key_type = staging.column_type(Contract, "external_id")
        return [StagingTable(
            "import_contract",
            (
                ("external_id", key_type),
                ("company_id", "bigint"),
                *((name, staging.column_type(Contract, name)) for name in (
                    "name", "kind", "status", "start_date", "end_date", "committed_amount", "billing",
                    "included_units", "overage_price", "rollover_fraction")),
                ("renewal_key", key_type),
                ("owner_id", "bigint"),
                ("booked_on", staging.column_type(Contract, "booked_on")),
            ),
            index=("external_id",),
        )]

    def stage(self, rows, state):
        return [("import_contract", rows)]

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        qn = staging.qn
        table, stg = Contract._meta.db_table, "import_contract"
        touched = writers.create_touched(staging, "import_contract_touched")
        optional = {"name": "name", "status": "status", "committed_amount": "committed_amount",
                    "billing": "billing", "included_units": "included_units", "overage_price": "overage_price",
                    "rollover_fraction": "rollover_fraction", "booked_on": "booked_on"}
        update_columns = ["company_id", "kind", "start_date", "end_date"]
        update_columns += [column for name, column in optional.items() if name in present]
        if "owner" in present:
            update_columns.append("owner_id")
        writers.mark_changed_columns(staging, touched=touched, stg=stg, table=table, key="external_id",
                                     compare=[(c, c) for c in update_columns])
        if "renewal_of_external_id" in present:
            writers.mark_touched(staging, touched=touched, select_keys_sql=(
                f"SELECT t.external_id AS k FROM {qn(stg)} s JOIN {qn(table)} t ON t.external_id = s.external_id "
                f"LEFT JOIN {qn(table)} r ON r.id = t.renewal_of_id WHERE {staging.distinct('r.external_id', 's.renewal_key')}"
            ))
        loaded = staging.count(stg)
        created = writers.count_new(staging, stg=stg, table=table, key="external_id")
        updated = writers.count_touched(staging, touched)
        columns = ["company_id", "name", "kind", "status", "start_date", "end_date", "committed_amount", "billing",
                   "included_units", "overage_price", "rollover_fraction", "owner_id", "booked_on"]
        now = timezone.now()
        writers.upsert(
            staging, stg=stg, table=table, key="external_id", columns=[(c, c) for c in columns],
            update_columns=update_columns, touched=touched,
            insert_values={**writers.insert_defaults(staging, Contract, exclude={"external_id", *columns}),
                           "created_at": now, "updated_at": now},
            update_values={"updated_at": now},
        )
        if "renewal_of_external_id" in present:
            renewed = (f"(SELECT r.id FROM {qn(stg)} s JOIN {qn(table)} r ON r.external_id = s.renewal_key "
                       f"WHERE s.external_id = {qn(table)}.external_id)")
            staging.execute(
                f"UPDATE {qn(table)} SET renewal_of_id = {renewed} WHERE external_id IN "
                f"(SELECT external_id FROM {qn(stg)}) AND {staging.distinct('renewal_of_id', renewed)}"
            )
        return created, updated, loaded - created - updated


# --- opportunities --------------------------------------------------------------------------------


class OpportunityImport(_RevenueImport):
    name = "opportunities"
    label = "Opportunities (expansion pipeline)"
    columns = (
        Column("external_id", required=True, help="The CRM's id of the opportunity."),
        Column("company_external_id", required=True),
        Column("name", required=True),
        Column("amount", required=True, help="Annual contract value."),
        Column("close_date", required=True, help="YYYY-MM-DD."),
        Column("stage", help="qualify (default), discovery, solution, proposal, negotiation, closed_won, closed_lost."),
        Column("type", help="land, expansion (default), cross_sell, renewal."),
        Column("probability", help="0–1 or %; defaults to the stage's."),
        Column("forecast_category", help="The owner's call; defaults to the stage's. pipeline, best_case, commit, "
                                         "omitted (closed stages are closed_won / closed_lost)."),
        Column("use_case"),
        Column("use_case_category", help="new_team, new_product, consolidation, migration, platform, other."),
        Column("owner", help="Username or email; defaults to the account owner."),
    )
    presets = {
        "salesforce": {
            "external_id": ("Id", "Opportunity ID"),
            "company_external_id": ("AccountId", "Account ID"),
            "name": ("Name", "Opportunity Name"),
            "amount": ("Amount",),
            "close_date": ("CloseDate", "Close Date"),
            "stage": ("StageName", "Stage"),
            "type": ("Type",),
            "probability": ("Probability", "Probability (%)"),
            "forecast_category": ("ForecastCategoryName", "Forecast Category"),
            "use_case": ("Use_Case__c",),
            "use_case_category": ("Use_Case_Category__c",),
            "owner": ("Owner.Email", "Owner Email", "Opportunity Owner"),
        },
        "hubspot": {
            "external_id": ("Record ID", "Deal ID", "hs_object_id"),
            "company_external_id": ("Associated Company IDs", "Company ID", "Associated Company ID"),
            "name": ("Deal Name", "dealname"),
            "amount": ("Amount", "amount"),
            "close_date": ("Close Date", "closedate"),
            "stage": ("Deal Stage", "dealstage"),
            "type": ("Deal Type", "dealtype"),
            "probability": ("Deal probability", "hs_deal_stage_probability"),
            "forecast_category": ("Forecast category", "hs_manual_forecast_category"),
            "owner": ("Deal owner (email)", "Deal Owner Email", "Owner Email"),
        },
    }

    def parse(self, values, state):
        cells = Cells(values)
        external_id = cells(v.text, "external_id", max_length=64, required=True)
        company = cells(v.text, "company_external_id", max_length=64, required=True)
        name = cells(v.text, "name", max_length=_max_length(Opportunity, "name"), required=True)
        amount = cells(v.money, "amount", **_money(Opportunity, "amount"))
        if amount is None and not values["amount"]:
            cells.errors.append("amount is required")
        close = cells(day, "close_date", required=True)
        stage = cells(v.choice, "stage", choices=STAGES, default=Opportunity.Stage.QUALIFY)
        probability = cells(share, "probability")
        category = cells(v.choice, "forecast_category", choices=CATEGORIES, default="")
        row_type = cells(v.choice, "type", choices=TYPES, default=Opportunity.Type.EXPANSION)
        use_case = cells(v.text, "use_case", max_length=_max_length(Opportunity, "use_case"))
        use_case_category = cells(v.choice, "use_case_category", choices=USE_CASES, default="")
        owner = cells(v.text, "owner", max_length=254)
        cells.done()
        default_probability, default_category = stage_defaults(stage)
        problem = category_problem(stage=stage, category=category or default_category)
        if problem:
            raise RowError(f"forecast_category: {problem}")
        return (
            external_id, company, name, row_type, use_case, use_case_category, amount, close, stage,
            default_probability if probability is None else probability,
            category or default_category,
            bool(category) and category != default_category,
            owner.lower(),
        )

    def check(self, batch, state, report):
        # (line, external_id, company, name, type, use_case, use_case_category, amount, close, stage,
        #  probability, category, overridden, owner)
        return [
            (row[0], row[1], company_id, *row[3:13], owner_id)
            for row, company_id, owner_id in self._resolve(batch, state, report, company_at=2, owner_at=13)
        ]

    def staging_tables(self, staging: Staging, state):
        return [StagingTable(
            "import_opportunity",
            (
                ("external_id", staging.column_type(Opportunity, "external_id")),
                ("company_id", "bigint"),
                *((name, staging.column_type(Opportunity, name)) for name in (
                    "name", "type", "use_case", "use_case_category", "amount", "close_date", "stage", "probability",
                    "forecast_category", "category_overridden")),
                ("owner_id", "bigint"),
            ),
            index=("external_id",),
        )]

    def stage(self, rows, state):
        return [("import_opportunity", rows)]

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        qn = staging.qn
        table, stg = Opportunity._meta.db_table, "import_opportunity"
        if "forecast_category" not in present:
            # The owner's override survives a re-import that does not carry categories, while the deal is open.
            closed = ", ".join(f"'{stage}'" for stage in (Opportunity.Stage.CLOSED_WON, Opportunity.Stage.CLOSED_LOST))
            kept = f"(SELECT o.{{}} FROM {qn(table)} o WHERE o.external_id = {qn(stg)}.external_id)"
            staging.execute(
                f"UPDATE {qn(stg)} SET forecast_category = {kept.format('forecast_category')}, "
                f"category_overridden = {kept.format('category_overridden')} "
                f"WHERE stage NOT IN ({closed}) AND EXISTS (SELECT 1 FROM {qn(table)} o "
                f"WHERE o.external_id = {qn(stg)}.external_id AND o.category_overridden)"
            )
        touched = writers.create_touched(staging, "import_opportunity_touched")
        update_columns = ["company_id", "name", "amount", "close_date", "stage", "probability", "forecast_category",
                          "category_overridden"]
        update_columns += [c for c in ("type", "use_case", "use_case_category") if c in present]
        if "owner" in present:
            update_columns.append("owner_id")
        writers.mark_changed_columns(staging, touched=touched, stg=stg, table=table, key="external_id",
                                     compare=[(c, c) for c in update_columns])
        loaded = staging.count(stg)
        created = writers.count_new(staging, stg=stg, table=table, key="external_id")
        updated = writers.count_touched(staging, touched)
        columns = ["company_id", "name", "type", "use_case", "use_case_category", "amount", "close_date", "stage",
                   "probability", "forecast_category", "category_overridden", "owner_id"]
        now = timezone.now()
        writers.upsert(
            staging, stg=stg, table=table, key="external_id", columns=[(c, c) for c in columns],
            update_columns=update_columns, touched=touched,
            insert_values={**writers.insert_defaults(staging, Opportunity, exclude={"external_id", *columns}),
                           "created_at": now, "updated_at": now},
            update_values={"updated_at": now},
        )
        return created, updated, loaded - created - updated


def register() -> None:
    for kind in (ContractImport(), OpportunityImport()):
        register_import_kind(kind)
