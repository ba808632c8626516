"""The `stakeholders` and `interactions` import kinds (`manage.py import_data stakeholders FILE`).

Both are idempotent by external_id: a re-import of the same file writes nothing; a changed row
updates only the columns the file has. Rows that cannot be loaded are reported with their line
and the rest is written in one transaction (a file-level problem writes nothing).

* **stakeholders**: the company by its external id; reports_to by the stakeholder's external id (in
  the file or already loaded, same company, no reporting loops); key ranks 1–5 unique per company
  (a rank held by someone the file does not mention is reported, never silently taken); a person
  entered by hand with the same email at the same company is adopted (gets the external id)
  instead of duplicated; product users are suggested by email after the write.
* **interactions**: the company by its external id; the participants by stakeholder external id or
  email, several separated by ";" (stakeholders of that company, imported first); the logger by
  email (unknown: a warning, the current logger is kept). After the write, last contact is
  recomputed set-based for every stakeholder whose interactions changed.
"""
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Company
from accounts.services.imports import Column, ImportKind, register_import_kind
from accounts.services.imports import values as v
from accounts.services.imports import writers
from accounts.services.imports.common import Cells, KeyResolver, LOOKUP_CHUNK
from accounts.services.imports.staging import Staging, StagingTable
from stakeholders.models import KEY_STAKEHOLDERS, Interaction, InteractionParticipant, Stakeholder

from .core import last_contact_refresh

ROLES = v.Choices(Stakeholder.Role.choices)
SENTIMENTS = v.Choices(Stakeholder.Sentiment.choices)
CHANNELS = v.Choices(Interaction.Channel.choices)
_TRUE = {"1", "true", "yes", "y", "active", "t"}
_FALSE = {"0", "false", "no", "n", "left", "inactive", "f"}

STAKEHOLDER_SCALARS = ("name", "email", "title", "department", "role", "influence", "sentiment", "is_active",
                       "left_at", "key_rank")
# file column → model columns it fills
STAKEHOLDER_COLUMNS = {
    "name": ("name",), "email": ("email",), "title": ("title",), "department": ("department",),
    "role": ("role",), "influence": ("influence",), "sentiment": ("sentiment",),
    "is_active": ("is_active", "left_at"), "left_at": ("is_active", "left_at"), "key_rank": ("key_rank",),
}
INTERACTION_SCALARS = ("channel", "occurred_at", "summary", "next_step", "next_step_due")


def _boolean(value: str, *, column: str, default: bool) -> bool:
    if not value:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise v.RowError(f"{column} {value!r} is not yes/no")


def _day(value: str, *, column: str):
    moment = v.moment(value, column=column)
    return moment.date() if moment else None


def _max(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def _users_by_email(emails: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    emails = list(emails)
    for start in range(0, len(emails), LOOKUP_CHUNK):
        rows = (
            get_user_model().objects.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=emails[start:start + LOOKUP_CHUNK])
            .order_by("-is_active", "id").values_list("email_lower", "id")
        )
        for email, user_id in rows:
            found.setdefault(email, user_id)
    return found


def _upsert(staging: Staging, *, stg: str, table: str, columns: list[str], update_columns: list[str],
            touched: str, insert_values: dict, update_values: dict) -> int:
    """``writers.upsert`` for tables whose external_id is unique only when set (a partial unique
    index): the conflict target must repeat the index's condition on both databases."""
    qn = staging.qn
    fixed = {**insert_values, **{c: val for c, val in update_values.items() if c not in insert_values}}
    targets = [qn("external_id"), *(qn(c) for c in columns), *(qn(c) for c in fixed)]
    selects = ["s.external_id", *(f"s.{qn(c)}" for c in columns), *(["%s"] * len(fixed))]
    sets = ", ".join(f"{qn(c)} = excluded.{qn(c)}" for c in [*update_columns, *update_values])
    sql = (
        f"INSERT INTO {qn(table)} ({', '.join(targets)}) SELECT {', '.join(selects)} FROM {qn(stg)} s "
        f"WHERE s.external_id IN (SELECT k FROM {qn(touched)}) "
        f"OR NOT EXISTS (SELECT 1 FROM {qn(table)} t WHERE t.external_id = s.external_id) ORDER BY s.line "
        f"ON CONFLICT (external_id) WHERE NOT (external_id = '') DO UPDATE SET {sets}"
    )
    return staging.execute(sql, [writers.adapt(staging, val) for val in fixed.values()])


# --- stakeholders ---------------------------------------------------------------------------------

class StakeholderImport(ImportKind):
    name = "stakeholders"
    label = "Stakeholders (contacts at customer companies)"
    columns = (
        Column("external_id", required=True, help="The source's id of the person (CRM contact id)."),
        Column("company_external_id", required=True, help="The company's external id (import companies first)."),
        Column("name", required=True),
        Column("email"),
        Column("title"),
        Column("department"),
        Column("role", help="economic_buyer, decision_maker, champion, executive_sponsor, technical_evaluator, "
                            "procurement, end_user, influencer (default) or blocker; labels work too."),
        Column("influence", help="1–5 (default 3)."),
        Column("sentiment", help="positive, neutral, negative or unknown (default)."),
        Column("reports_to_external_id", help="The external id of the person's manager at the company."),
        Column("key_rank", help="1–5 for the five key stakeholders, empty for the others."),
        Column("is_active", help="yes/no; no = left the company (default yes)."),
        Column("left_at", help="The date the person left (YYYY-MM-DD)."),
    )

    def new_state(self, *, present):
        return {
            "present": present,
            "companies": KeyResolver(Company.objects.all()),
            "existing": KeyResolver(Stakeholder.objects.all(), "id", "company_id", "company__external_id"),
            "emails": {},  # (company_id, email) → (external_id, line) of its first row in the file
            "ranks": {},  # (company_id, rank) → (external_id, line)
            "accepted": {},  # external_id → (line, company_id, reports_to key)
        }

    def parse(self, values, state):
        cells = Cells(values)
        external_id = cells(v.text, "external_id", max_length=64, required=True)
        company = cells(v.text, "company_external_id", max_length=64, required=True)
        influence = cells(v.whole_number, "influence", default=3)
        if influence is not None and not 1 <= influence <= 5:
            cells.errors.append(f"influence {values['influence']!r} is not between 1 and 5")
        key_rank = cells(v.whole_number, "key_rank")
        if key_rank is not None and not 1 <= key_rank <= KEY_STAKEHOLDERS:
            cells.errors.append(f"key_rank {values['key_rank']!r} is not between 1 and {KEY_STAKEHOLDERS}")
        is_active = cells(_boolean, "is_active", default=True)
        left_at = cells(_day, "left_at")
        if is_active is False and key_rank is not None:
            cells.errors.append("key_rank: someone who left the company cannot be a key stakeholder")
        if is_active and left_at is not None and "is_active" in state["present"]:
            cells.errors.append("left_at is set but is_active says the person is still there")
        if left_at is not None and "is_active" not in state["present"]:
            is_active = False
        reports_to = cells(v.text, "reports_to_external_id", max_length=64)
        if reports_to and reports_to == external_id:
            cells.errors.append(f"reports_to_external_id: {external_id!r} cannot report to themself")
        row = (
            external_id,
            company,
            cells(v.text, "name", max_length=_max(Stakeholder, "name"), required=True),
            cells(v.email, "email"),
            cells(v.text, "title", max_length=_max(Stakeholder, "title")),
            cells(v.text, "department", max_length=_max(Stakeholder, "department")),
            cells(v.choice, "role", choices=ROLES, default=Stakeholder.Role.INFLUENCER),
            influence,
            cells(v.choice, "sentiment", choices=SENTIMENTS, default=Stakeholder.Sentiment.UNKNOWN),
            is_active,
            left_at,
            key_rank,
            reports_to or None,
        )
        cells.done()
        return row

    # row after parse, with the line first:
    # (line, external_id, company_key, name, email, title, department, role, influence, sentiment,
    #  is_active, left_at, key_rank, reports_to)

    def check(self, batch, state, report):
        companies: KeyResolver = state["companies"]
        existing: KeyResolver = state["existing"]
        companies.resolve(row[2] for row in batch)
        existing.resolve(row[1] for row in batch)
        # Hand-entered people (no external id) with the same email at the same company are adopted.
        wanted = {(companies.get(row[2]), row[4]) for row in batch if row[4] and companies.exists(row[2])}
        by_email = self._by_email(wanted)
        accepted = []
        for row in batch:
            line, external_id, company_key, email, rank = row[0], row[1], row[2], row[4], row[12]
            company_id = companies.get(company_key)
            if company_id is None:
                report.reject(line, f"company_external_id {company_key!r} is not a known company "
                                    f"(import companies first)", key=external_id)
                continue
            current = existing.get(external_id)
            if current is not None and current[1] != company_id:
                report.reject(line, f"external_id {external_id!r} is a stakeholder of company {current[2]!r}; "
                                    f"a stakeholder cannot move to another company", key=external_id)
                continue
            if email:
                holder = by_email.get((company_id, email))
                if holder is not None and holder[1] not in ("", external_id):
                    report.reject(line, f"email {email} is already stakeholder {holder[1]!r} of this company",
                                  key=external_id)
                    continue
                first = state["emails"].setdefault((company_id, email), (external_id, line))
                if first[0] != external_id:
                    report.reject(line, f"email {email} is also listed for {first[0]!r} of the same company "
                                        f"on line {first[1]}", key=external_id)
                    continue
            if rank is not None:
                first = state["ranks"].setdefault((company_id, rank), (external_id, line))
                if first[0] != external_id:
                    report.reject(line, f"key_rank {rank} is also given to {first[0]!r} of the same company "
                                        f"on line {first[1]}", key=external_id)
                    continue
            state["accepted"][external_id] = (line, company_id, row[13])
            accepted.append((line, external_id, company_id, *row[3:]))
        return accepted

    def _by_email(self, wanted: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, str]]:
        found: dict[tuple[int, str], tuple[int, str]] = {}
        pairs = sorted(wanted)
        for start in range(0, len(pairs), LOOKUP_CHUNK):
            chunk = pairs[start:start + LOOKUP_CHUNK]
            rows = (
                Stakeholder.objects.annotate(email_lower=Lower("email"))
                .filter(company_id__in={c for c, _ in chunk}, email_lower__in={e for _, e in chunk})
                .values_list("company_id", "email_lower", "id", "external_id")
            )
            for company_id, email, pk, external_id in rows:
                found[(company_id, email)] = (pk, external_id)
        return found

    def finish(self, state, report):
        """Key ranks held by people the file does not mention, and the reporting lines."""
        accepted = {k: val for k, val in state["accepted"].items() if val[0] not in report.rejected_lines}
        if "key_rank" in state["present"]:
            ranks = {pair: owner for pair, owner in state["ranks"].items() if owner[0] in accepted}
            company_ids = sorted({company_id for company_id, _ in ranks})
            for start in range(0, len(company_ids), LOOKUP_CHUNK):
                holders = Stakeholder.objects.filter(
                    company_id__in=company_ids[start:start + LOOKUP_CHUNK], key_rank__isnull=False
                ).values_list("company_id", "key_rank", "external_id", "name")
                for company_id, rank, external_id, name in holders:
                    owner = ranks.get((company_id, rank))
                    if owner is None or external_id in state["accepted"]:
                        continue  # the file sets this holder's rank too (or the rank is not wanted)
                    report.reject(owner[1], f"key_rank {rank} is held by {name!r} "
                                            f"({external_id or 'entered by hand'}) who is not in this file",
                                  key=owner[0])
                    accepted.pop(owner[0], None)
        if "reports_to_external_id" not in state["present"]:
            return
        existing: KeyResolver = state["existing"]
        existing.resolve({val[2] for val in accepted.values() if val[2]})
        in_db_boss = KeyResolver(Stakeholder.objects.all(), "reports_to__external_id")
        changed = True
        while changed:
            changed = False
            for key, (line, company_id, boss) in list(accepted.items()):
                if not boss:
                    continue
                if boss in accepted:
                    boss_company = accepted[boss][1]
                elif existing.exists(boss) and boss not in state["accepted"]:
                    boss_company = existing.get(boss)[1]
                else:
                    if boss in state["accepted"] or boss in report.rejected_keys:
                        bad = state["accepted"].get(boss, (report.rejected_keys.get(boss),))[0]
                        reason = f"reports_to_external_id {boss!r} was rejected (line {bad})"
                    else:
                        reason = f"reports_to_external_id {boss!r} is neither in this file nor already loaded"
                    report.reject(line, reason, key=key)
                    del accepted[key]
                    changed = True
                    continue
                if boss_company != company_id:
                    report.reject(line, f"reports_to_external_id {boss!r} is a stakeholder of another company",
                                  key=key)
                    del accepted[key]
                    changed = True
            # Reporting loops through the file and the database.
            frontier = {val[2] for val in accepted.values() if val[2] and val[2] not in accepted}
            while frontier:
                in_db_boss.resolve(frontier)
                frontier = {in_db_boss.get(k) for k in frontier
                            if in_db_boss.get(k) and in_db_boss.get(k) not in in_db_boss.cache}

            def boss_of(node: str) -> str | None:
                if node in accepted:
                    return accepted[node][2]
                return in_db_boss.get(node)

            state_of: dict[str, int] = {}
            for start in list(accepted):
                path: list[str] = []
                node = start
                while node is not None and state_of.get(node) is None:
                    state_of[node] = 1
                    path.append(node)
                    node = boss_of(node)
                if node is not None and state_of.get(node) == 1:
                    loop = path[path.index(node):]
                    shown = " → ".join([*loop, node])
                    for member in loop:
                        if member in accepted:
                            report.reject(accepted[member][0], f"reporting loop: {shown}", key=member)
                            del accepted[member]
                            changed = True
                for member in path:
                    state_of[member] = 2

    def staging_tables(self, staging: Staging, state):
        col = staging.column_type
        return [StagingTable(
            "import_stakeholder",
            (
                ("external_id", col(Stakeholder, "external_id")),
                ("company_id", "bigint"),
                *((name, col(Stakeholder, name)) for name in ("name", "email", "title", "department", "role",
                                                              "influence", "sentiment", "is_active", "left_at",
                                                              "key_rank")),
                ("reports_to_key", col(Stakeholder, "external_id")),
            ),
            index=("external_id",),
        )]

    def stage(self, rows, state):
        # (line, external_id, company_id, name, email, title, department, role, influence, sentiment,
        #  is_active, left_at, key_rank, reports_to)
        return [("import_stakeholder", [tuple(row) for row in rows])]

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        qn = staging.qn
        table, stg = Stakeholder._meta.db_table, "import_stakeholder"
        touched = writers.create_touched(staging, "import_stakeholder_touched")
        # 1. Adopt hand-entered people: same company and email, no external id yet.
        staging.execute(
            f"UPDATE {qn(table)} SET external_id = (SELECT s.external_id FROM {qn(stg)} s "
            f"WHERE s.company_id = {qn(table)}.company_id AND s.email = LOWER({qn(table)}.email)) "
            f"WHERE external_id = '' AND email <> '' AND EXISTS (SELECT 1 FROM {qn(stg)} s "
            f"WHERE s.company_id = {qn(table)}.company_id AND s.email = LOWER({qn(table)}.email)) "
            f"AND NOT EXISTS (SELECT 1 FROM {qn(stg)} s WHERE s.company_id = {qn(table)}.company_id "
            f"AND s.email = LOWER({qn(table)}.email) AND s.external_id IN "
            f"(SELECT t.external_id FROM {qn(table)} t WHERE t.external_id <> ''))"
        )
        update_columns = ["company_id"]
        for column, fills in STAKEHOLDER_COLUMNS.items():
            if column in present:
                update_columns.extend(name for name in fills if name not in update_columns)
        if "left_at" in update_columns:
            # Someone who left with no date in the file keeps the date already known.
            staging.execute(
                f"UPDATE {qn(stg)} SET left_at = (SELECT t.left_at FROM {qn(table)} t "
                f"WHERE t.external_id = {qn(stg)}.external_id) WHERE left_at IS NULL AND NOT is_active"
            )
        writers.mark_changed_columns(staging, touched=touched, stg=stg, table=table, key="external_id",
                                     compare=[(c, c) for c in update_columns])
        if "reports_to_external_id" in present:
            writers.mark_touched(staging, touched=touched, select_keys_sql=(
                f"SELECT t.external_id AS k FROM {qn(stg)} s JOIN {qn(table)} t ON t.external_id = s.external_id "
                f"LEFT JOIN {qn(table)} b ON b.id = t.reports_to_id "
                f"WHERE {staging.distinct('b.external_id', 's.reports_to_key')}"
            ))
        created = writers.count_new(staging, stg=stg, table=table, key="external_id")
        updated = writers.count_touched(staging, touched)
        loaded = staging.count(stg)
        if "key_rank" in update_columns:
            # Free the ranks that move first, so swapping two ranks never trips the unique constraint.
            staging.execute(
                f"UPDATE {qn(table)} SET key_rank = NULL WHERE key_rank IS NOT NULL AND external_id IN "
                f"(SELECT s.external_id FROM {qn(stg)} s WHERE {staging.distinct(f'{qn(table)}.key_rank', 's.key_rank')})"
            )
        now = timezone.now()
        _upsert(
            staging, stg=stg, table=table, columns=["company_id", *STAKEHOLDER_SCALARS],
            update_columns=update_columns, touched=touched,
            insert_values={
                **writers.insert_defaults(staging, Stakeholder,
                                          exclude={"external_id", "company_id", *STAKEHOLDER_SCALARS}),
                "created_at": now, "updated_at": now,
            },
            update_values={"updated_at": now},
        )
        if "reports_to_external_id" in present:
            boss = (f"(SELECT b.id FROM {qn(stg)} s JOIN {qn(table)} b ON b.external_id = s.reports_to_key "
                    f"WHERE s.external_id = {qn(table)}.external_id)")
            staging.execute(
                f"UPDATE {qn(table)} SET reports_to_id = {boss} WHERE external_id IN (SELECT external_id FROM "
                f"{qn(stg)}) AND {staging.distinct('reports_to_id', boss)}"
            )
        in_file = f"external_id IN (SELECT external_id FROM {qn(stg)})"
        if "is_active" in update_columns:
            # Like the service: a person who left gets a date, and loses any key rank.
            staging.execute(f"UPDATE {qn(table)} SET left_at = %s WHERE NOT is_active AND left_at IS NULL AND "
                            f"{in_file}", [timezone.localdate()])
            staging.execute(f"UPDATE {qn(table)} SET key_rank = NULL WHERE NOT is_active AND key_rank IS NOT NULL "
                            f"AND {in_file}")
        self._suggest_product_users(staging, stg=stg, table=table)
        return created, updated, loaded - created - updated

    def _suggest_product_users(self, staging: Staging, *, stg: str, table: str) -> None:
        from accounts.models import ProductUser

        qn = staging.qn
        users = ProductUser._meta.db_table
        staging.execute(
            # One resolved to the same company first, else any with that email.
            f"UPDATE {qn(table)} SET product_user_id = COALESCE("
            f"(SELECT MIN(pu.id) FROM {qn(users)} pu WHERE pu.email = LOWER({qn(table)}.email) "
            f"AND pu.company_id = {qn(table)}.company_id), "
            f"(SELECT MIN(pu.id) FROM {qn(users)} pu WHERE pu.email = LOWER({qn(table)}.email))) "
            f"WHERE product_user_id IS NULL AND email <> '' "
            f"AND external_id IN (SELECT external_id FROM {qn(stg)})"
        )


# --- interactions ---------------------------------------------------------------------------------

class InteractionImport(ImportKind):
    name = "interactions"
    label = "Interactions (meetings, calls, emails with stakeholders)"
    columns = (
        Column("external_id", required=True, help="The source's id (calendar event id, email message id)."),
        Column("company_external_id", required=True),
        Column("occurred_at", required=True, help="ISO 8601; without a zone it is UTC."),
        Column("stakeholders", required=True, multi=True,
               help="';'-separated stakeholder external ids or emails (stakeholders of that company)."),
        Column("channel", help="meeting, video (default), phone, email, event or other; labels work too."),
        Column("logged_by_email", help="The revops login who had the contact."),
        Column("summary"),
        Column("next_step"),
        Column("next_step_due", help="YYYY-MM-DD; needs a next_step."),
    )

    def new_state(self, *, present):
        return {"present": present, "companies": KeyResolver(Company.objects.all()), "users": {},
                "people": {}, "latest": timezone.now() + timedelta(minutes=5)}

    def parse(self, values, state):
        cells = Cells(values)
        external_id = cells(v.text, "external_id", max_length=64, required=True)
        company = cells(v.text, "company_external_id", max_length=64, required=True)
        occurred_at = cells(v.moment, "occurred_at")
        if not values["occurred_at"]:
            cells.errors.append("occurred_at is required")
        elif occurred_at is not None and occurred_at > state["latest"]:
            cells.errors.append(f"occurred_at {values['occurred_at']!r} is in the future")
        refs = [part.strip() for part in values["stakeholders"].split(";") if part.strip()]
        if not refs:
            cells.errors.append("stakeholders is required (external ids or emails, separated by ';')")
        refs = list(dict.fromkeys(ref.lower() if "@" in ref else ref for ref in refs))
        next_step = cells(v.text, "next_step", max_length=_max(Interaction, "next_step"))
        next_step_due = cells(_day, "next_step_due")
        if next_step_due is not None and not next_step:
            cells.errors.append("next_step_due needs a next_step")
        row = (
            external_id,
            company,
            occurred_at,
            tuple(refs),
            cells(v.choice, "channel", choices=CHANNELS, default=Interaction.Channel.VIDEO),
            cells(v.email, "logged_by_email"),
            cells(v.text, "summary"),
            next_step,
            next_step_due,
        )
        cells.done()
        return row

    # row after parse, with the line first:
    # (line, external_id, company_key, occurred_at, refs, channel, logger_email, summary, next_step, due)

    def check(self, batch, state, report):
        companies: KeyResolver = state["companies"]
        companies.resolve(row[2] for row in batch)
        users: dict[str, int | None] = state["users"]
        emails = {row[6] for row in batch if row[6] and row[6] not in users}
        if emails:
            found = _users_by_email(emails)
            users.update({email: found.get(email) for email in emails})
        people = self._resolve_people(batch, companies)
        accepted = []
        for row in batch:
            line, external_id, company_key, refs = row[0], row[1], row[2], row[4]
            company_id = companies.get(company_key)
            if company_id is None:
                report.reject(line, f"company_external_id {company_key!r} is not a known company", key=external_id)
                continue
            ids, unknown = [], []
            for ref in refs:
                person = people.get((company_id, ref))
                if person is None:
                    unknown.append(ref)
                elif person[0] not in (p[0] for p in ids):
                    ids.append(person)
            if unknown:
                shown = ", ".join(repr(ref) for ref in unknown[:5])
                report.reject(line, f"stakeholders: {shown} {'is' if len(unknown) == 1 else 'are'} not a "
                                    f"stakeholder of company {company_key!r} (import stakeholders first)",
                              key=external_id)
                continue
            logger_id, keep_logger = None, False
            if row[6]:
                logger_id = users.get(row[6])
                if logger_id is None:
                    keep_logger = True
                    report.warn(line, f"logged_by_email {row[6]!r} matches no revops user: loaded without a "
                                      f"new logger (an existing logger is kept)")
            accepted.append((line, external_id, company_id, logger_id, keep_logger, row[5], row[3], row[7],
                             row[8], row[9], tuple(ids)))
        return accepted

    def _resolve_people(self, batch, companies: KeyResolver) -> dict[tuple[int, str], tuple[int, str]]:
        """(company_id, reference) → (stakeholder id, name), for external ids and emails alike."""
        keys, emails = set(), set()
        for row in batch:
            company_id = companies.get(row[2])
            if company_id is None:
                continue
            for ref in row[4]:
                (emails if "@" in ref else keys).add((company_id, ref))
        found: dict[tuple[int, str], tuple[int, str]] = {}
        key_list = sorted({ref for _, ref in keys})
        for start in range(0, len(key_list), LOOKUP_CHUNK):
            rows = Stakeholder.objects.filter(external_id__in=key_list[start:start + LOOKUP_CHUNK]).values_list(
                "company_id", "external_id", "id", "name")
            for company_id, external_id, pk, name in rows:
                found[(company_id, external_id)] = (pk, name)
        pairs = sorted(emails)
        for start in range(0, len(pairs), LOOKUP_CHUNK):
            chunk = pairs[start:start + LOOKUP_CHUNK]
            rows = (
                Stakeholder.objects.annotate(email_lower=Lower("email"))
                .filter(company_id__in={c for c, _ in chunk}, email_lower__in={e for _, e in chunk})
                .values_list("company_id", "email_lower", "id", "name")
            )
            for company_id, email, pk, name in rows:
                found[(company_id, email)] = (pk, name)
        return found

    def staging_tables(self, staging: Staging, state):
        col = staging.column_type
        return [
            StagingTable(
                "import_interaction",
                (
                    ("external_id", col(Interaction, "external_id")),
                    ("company_id", "bigint"),
                    ("logged_by_id", "bigint"),
                    ("logged_by_keep", "boolean"),
                    *((name, col(Interaction, name)) for name in INTERACTION_SCALARS),
                ),
                index=("external_id",),
            ),
            StagingTable(
                "import_participant",
                (("interaction_key", col(Interaction, "external_id")), ("stakeholder_id", "bigint"),
                 ("stakeholder_name", col(InteractionParticipant, "stakeholder_name"))),
                index=("interaction_key",),
            ),
        ]

    def stage(self, rows, state):
        # (line, external_id, company_id, logger_id, keep_logger, channel, occurred_at, summary, next_step,
        #  due, people)
        return [
            ("import_interaction", [row[:10] for row in rows]),
            ("import_participant", [(row[0], row[1], pk, name) for row in rows for pk, name in row[10]]),
        ]

    def write(self, *, staging: Staging, state, report):
        present = state["present"]
        qn = staging.qn
        table, stg = Interaction._meta.db_table, "import_interaction"
        parts, stg_parts = InteractionParticipant._meta.db_table, "import_participant"
        touched = writers.create_touched(staging, "import_interaction_touched")
        if "logged_by_email" in present:
            staging.execute(
                f"UPDATE {qn(stg)} SET logged_by_id = (SELECT i.logged_by_id FROM {qn(table)} i "
                f"WHERE i.external_id = {qn(stg)}.external_id) WHERE logged_by_keep"
            )
        update_columns = ["company_id", "occurred_at"]
        update_columns += [name for name in ("channel", "summary", "next_step", "next_step_due") if name in present]
        if "logged_by_email" in present:
            update_columns.append("logged_by_id")
        writers.mark_changed_columns(staging, touched=touched, stg=stg, table=table, key="external_id",
                                     compare=[(c, c) for c in update_columns])
        current = (f"SELECT i.external_id AS k, p.stakeholder_id AS sid FROM {qn(parts)} p "
                   f"JOIN {qn(table)} i ON i.id = p.interaction_id JOIN {qn(stg)} s ON s.external_id = i.external_id "
                   f"WHERE p.stakeholder_id IS NOT NULL")
        wanted = f"SELECT interaction_key AS k, stakeholder_id AS sid FROM {qn(stg_parts)}"
        writers.mark_touched(staging, touched=touched, select_keys_sql=(
            f"SELECT c.k AS k FROM ({current}) c WHERE NOT EXISTS (SELECT 1 FROM {qn(stg_parts)} w "
            f"WHERE w.interaction_key = c.k AND w.stakeholder_id = c.sid) "
            f"UNION SELECT w.k AS k FROM ({wanted}) w JOIN {qn(table)} i ON i.external_id = w.k "
            f"WHERE NOT EXISTS (SELECT 1 FROM {qn(parts)} p WHERE p.interaction_id = i.id "
            f"AND p.stakeholder_id = w.sid)"
        ))
        created = writers.count_new(staging, stg=stg, table=table, key="external_id")
        updated = writers.count_touched(staging, touched)
        loaded = staging.count(stg)
        # Whose last contact may move: the participants of new and changed interactions, before and after.
        people = staging.create("import_interaction_people", [("stakeholder_id", "bigint")])
        staging.execute(
            f"INSERT INTO {qn(people)} (stakeholder_id) SELECT p.stakeholder_id FROM {qn(parts)} p "
            f"JOIN {qn(table)} i ON i.id = p.interaction_id WHERE p.stakeholder_id IS NOT NULL "
            f"AND i.external_id IN (SELECT k FROM {qn(touched)})"
        )
        staging.execute(
            f"INSERT INTO {qn(people)} (stakeholder_id) SELECT w.stakeholder_id FROM {qn(stg_parts)} w "
            f"WHERE w.interaction_key IN (SELECT k FROM {qn(touched)}) OR NOT EXISTS "
            f"(SELECT 1 FROM {qn(table)} i WHERE i.external_id = w.interaction_key)"
        )
        now = timezone.now()
        _upsert(
            staging, stg=stg, table=table, columns=["company_id", "logged_by_id", *INTERACTION_SCALARS],
            update_columns=update_columns, touched=touched,
            insert_values={
                **writers.insert_defaults(staging, Interaction, exclude={
                    "external_id", "company_id", "logged_by_id", *INTERACTION_SCALARS}),
                "created_at": now, "updated_at": now,
            },
            update_values={"updated_at": now},
        )
        # Participants of the touched interactions become exactly the file's; new ones get theirs.
        staging.execute(
            f"DELETE FROM {qn(parts)} WHERE interaction_id IN (SELECT i.id FROM {qn(table)} i "
            f"WHERE i.external_id IN (SELECT k FROM {qn(touched)})) AND stakeholder_id IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {qn(stg_parts)} w JOIN {qn(table)} i ON i.external_id = w.interaction_key "
            f"WHERE i.id = {qn(parts)}.interaction_id AND w.stakeholder_id = {qn(parts)}.stakeholder_id)"
        )
        staging.execute(
            f"INSERT INTO {qn(parts)} (interaction_id, stakeholder_id, stakeholder_name) "
            f"SELECT i.id, w.stakeholder_id, w.stakeholder_name FROM {qn(stg_parts)} w "
            f"JOIN {qn(table)} i ON i.external_id = w.interaction_key "
            f"WHERE NOT EXISTS (SELECT 1 FROM {qn(parts)} p WHERE p.interaction_id = i.id "
            f"AND p.stakeholder_id = w.stakeholder_id) ORDER BY w.line"
        )
        last_contact_refresh(stakeholder_ids=RawSQL(f"SELECT stakeholder_id FROM {qn(people)}", []))
        return created, updated, loaded - created - updated


register_import_kind(StakeholderImport())
register_import_kind(InteractionImport())
