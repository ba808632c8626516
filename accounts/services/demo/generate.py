"""Deterministic generation of the demo data set as plain specs; no database access here.

Everything is drawn from one ``random.Random(seed)`` in a fixed order, and every date is
relative to ``today``, so the same seed on the same day yields the same data, row for row.
Usage rows are streamed later from each workspace's spec (see ``specs.DemoData.usage``).
"""
import math
import random
import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import accumulate

from . import words
from .specs import (
    COMPANY_PREFIX,
    COMMERCIAL_REPS,
    ENTERPRISE_REPS,
    FREE_MAIL_SHARE,
    LINKED_SHARE,
    PLAN_WEIGHTS,
    PLANS,
    SHAPE_WEIGHTS,
    SHAPES,
    USER_PREFIX,
    WORKSPACE_PREFIX,
    CompanySpec,
    DemoData,
    SizeProfile,
    UserSpec,
    WorkspaceSpec,
    months_back,
)

def _join(head: str, tail: str) -> str:
    # "Bri" + "ix" reads as "Brix", not "Briix".
    if head[-1] in "aeiouy" and tail[0] in "aeiouy" and len(tail) > 1:
        tail = tail[1:]
    return head + tail


@lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def _slug(text: str, sep: str = "-") -> str:
    parts = ["".join(ch for ch in unicodedata.normalize("NFKD", p).encode("ascii", "ignore").decode().lower()
                     if ch.isalnum()) for p in text.split()]
    return sep.join(p for p in parts if p)


def _tier(employees: int | None) -> str:
    if employees is None:
        return ""
    return "enterprise" if employees >= 2000 else "mid_market" if employees >= 200 else "smb"


class _Generator:
    def __init__(self, *, seed: int, profile: SizeProfile, today: date):
        self.rng = random.Random(seed)
        self.random = self.rng.random
        self.profile = profile
        self.today = today
        self.now = datetime.combine(today, time(), tzinfo=UTC)
        self.data = DemoData(seed=seed, today=today, metrics=profile.metrics)
        self.used_domains: set[str] = set()
        self.used_brands: set[str] = set()
        self.used_emails: set[str] = set()
        self.domain_owner: dict[str, CompanySpec] = {}
        self.countries = [c for c in words.COUNTRIES]
        self.country_weights = list(accumulate(c[1] for c in words.COUNTRIES))
        self.next_number: dict[str, int] = {}
        self.by_code = {c[0]: c for c in words.COUNTRIES}
        self.last_period = months_back(today, 1)[0]

    def pick(self, options):
        # random.choice costs three times as much; this runs millions of times on the large size.
        return options[int(self.random() * len(options))]

    # --- companies ----------------------------------------------------------------------------

    def run(self) -> DemoData:
        self._showcase()
        target = self.profile.companies
        while len(self.data.companies) < target:
            remaining = target - len(self.data.companies)
            if remaining >= 4 and self.rng.random() < 0.07:
                self._family(limit=remaining)
            else:
                self._standalone()
        for company in list(self.data.companies):
            self._company_workspaces(company)
        for _ in range(round(len(self.data.workspaces) * 0.35)):
            self._self_serve_workspace()
        return self.data

    def _company(self, *, name: str, brand: str, country: str, industry: str, employees: int | None,
                 parent: CompanySpec | None = None, domains: tuple[str, ...] = (),
                 workspace_names: tuple[tuple[str, bool], ...] = ()) -> CompanySpec:
        rng, pick = self.rng, self.pick
        ind = next(i for i in words.INDUSTRIES if i[0] == industry)
        revenue = potential = None
        if employees is not None:
            revenue = Decimal(round(employees * ind[2] * rng.lognormvariate(0, 0.25), -3))
            seats = employees * ind[3] * rng.uniform(0.6, 1.2)
            potential = Decimal(max(round(seats * 49 * 12 * 0.8, -2), 1200))
        tier = _tier(employees)
        if parent is not None and rng.random() < 0.85:
            owner = parent.owner
        else:
            reps = ENTERPRISE_REPS if tier == "enterprise" else COMMERCIAL_REPS
            unowned = {"enterprise": 0.03, "mid_market": 0.06, "smb": 0.12, "": 0.5}[tier]
            owner = None if rng.random() < unowned else pick(reps)
        external_id = f"{COMPANY_PREFIX}{len(self.data.companies) + 1:06d}"
        family = parent.family if parent is not None else []
        company = CompanySpec(
            external_id=external_id, name=name, brand=brand, parent=parent.external_id if parent else None,
            level=parent.level + 1 if parent else 0, industry=industry, employee_count=employees,
            annual_revenue=revenue, potential_arr=potential, owner=owner, tier=tier, country=country,
            domains=[], family=family, workspace_names=workspace_names,
        )
        for domain in domains:
            self._claim_domain(company, domain)
        self.data.companies.append(company)
        return company

    def _claim_domain(self, company: CompanySpec, domain: str) -> None:
        self.used_domains.add(domain)
        self.domain_owner[domain] = company
        company.domains.append(domain)
        company.family.append(domain)

    def _free_domain(self, *candidates: str) -> str:
        for candidate in candidates:
            if candidate not in self.used_domains:
                return candidate
        stem, dot, tld = candidates[0].partition(".")
        return self._numbered(self.used_domains, stem, dot + tld)

    def _numbered(self, taken: set[str], stem: str, tail: str) -> str:
        """``stem2 + tail``, ``stem3 + tail`` …: the first free one, without rescanning on every call."""
        key = stem + tail
        n = self.next_number.get(key, 2)
        while f"{stem}{n}{tail}" in taken:
            n += 1
        self.next_number[key] = n + 1
        return f"{stem}{n}{tail}"

    def _brand(self) -> str:
        rng, pick = self.rng, self.pick
        for _ in range(4):  # then accept a duplicate: real CRMs have several "Summit Foods"
            roll = rng.random()
            if roll < 0.45:
                brand = _join(pick(words.BRAND_STARTS), pick(words.BRAND_ENDS))
            elif roll < 0.75:
                brand = _join(_join(pick(words.BRAND_STARTS), pick(words.BRAND_MIDDLES)),
                              pick(words.BRAND_ENDS))
            elif roll < 0.9:
                brand = pick(words.BRAND_WORDS) + pick(words.BRAND_PLACES)
            else:
                brand = f"{pick(words.LAST_NAMES['en'])} & {pick(words.LAST_NAMES['en'])}"
            if brand not in self.used_brands:
                break
        self.used_brands.add(brand)
        return brand

    def _country(self) -> tuple:
        return self.rng.choices(self.countries, cum_weights=self.country_weights)[0]

    def _employees(self, low: float, high: float) -> int:
        return round(math.exp(self.rng.uniform(math.log(low), math.log(high))))

    def _standalone(self) -> CompanySpec:
        rng, pick = self.rng, self.pick
        code, _, tld, suffixes, _, _ = self._country()
        industry, nouns, _, _ = pick(words.INDUSTRIES)
        brand = self._brand()
        noun = pick(nouns) if rng.random() < 0.65 else ""
        name = " ".join(p for p in (brand, noun, pick(suffixes)) if p)
        tier_roll = rng.random()
        if tier_roll < 0.03:
            employees = None  # the CRM record was never enriched
        elif tier_roll < 0.58:
            employees = self._employees(3, 199)
        elif tier_roll < 0.87:
            employees = self._employees(200, 1999)
        else:
            employees = self._employees(2000, 120_000)
        top = "io" if industry == "Software" and rng.random() < 0.3 else "com" if rng.random() < 0.5 else tld
        stem = _ascii(brand + noun)
        domains = [self._free_domain(f"{stem}.{top}", f"{_slug(brand + ' ' + noun)}.{top}", f"{stem}.com")]
        if rng.random() < 0.15:  # a country or product domain next to the main one
            extra = tld if tld != top else pick(words.EXTRA_TLDS)
            domains.append(self._free_domain(f"{stem}.{extra}", f"{stem}-{code.lower()}.{extra}"))
        return self._company(name=name, brand=brand, country=code, industry=industry, employees=employees,
                             domains=tuple(dict.fromkeys(domains)))

    def _family(self, *, limit: int) -> None:
        """An ultimate parent with country subsidiaries, their divisions and sometimes an acquisition."""
        rng, pick = self.rng, self.pick
        brand = self._brand()
        code, _, _, suffixes, _, _ = rng.choices(self.countries[:4], (5, 2, 2, 1))[0]
        industry = pick(words.INDUSTRIES)[0]
        stem = _ascii(brand)
        root_domains = [self._free_domain(f"{stem}.com", f"{stem}group.com", f"{stem}-global.com")]
        if rng.random() < 0.3:
            root_domains.append(self._free_domain(f"{stem}-group.com", f"{stem}holdings.com"))
        root = self._company(
            name=f"{brand} {pick(('Holdings', 'Group', 'International'))} {pick(suffixes)}",
            brand=brand, country=code, industry=industry, employees=self._employees(2500, 150_000),
            domains=tuple(root_domains),
        )
        size = 1
        subsidiaries = rng.sample([c for c in self.countries if c[0] != code], rng.randint(2, 4))
        for sub_code, _, tld, sub_suffixes, label, _ in subsidiaries:
            if size >= limit:
                return
            own = f"{stem}.{tld}" if tld != "com" else f"{stem}-{sub_code.lower()}.com"
            sub = self._company(
                name=f"{brand} {label} {pick(sub_suffixes)}", brand=brand, country=sub_code,
                industry=industry, employees=max(20, round(root.employee_count * rng.uniform(0.02, 0.25))),
                parent=root, domains=(self._free_domain(own, f"{stem}{sub_code.lower()}.{tld}"),),
            )
            size += 1
            for division in rng.sample(words.DIVISIONS, pick((0, 0, 1, 2))):
                if size >= limit:
                    return
                div = self._company(
                    name=f"{brand} {label} {division} {pick(sub_suffixes)}", brand=brand,
                    country=sub_code, industry=industry, parent=sub,
                    employees=max(10, round(sub.employee_count * rng.uniform(0.1, 0.5))),
                )
                size += 1
                if size < limit and rng.random() < 0.3:
                    city = pick(words.CITIES)
                    self._company(
                        name=f"{brand} {division} {city} {pick(sub_suffixes)}", brand=brand,
                        country=sub_code, industry=industry, parent=div,
                        employees=max(5, round(div.employee_count * rng.uniform(0.1, 0.5))),
                    )
                    size += 1
        if size < limit and rng.random() < 0.35:  # an acquisition keeps its own brand and domain
            acquired = self._brand()
            a_code, _, _, a_suffixes, _, _ = self._country()
            a_industry, nouns, _, _ = pick(words.INDUSTRIES)
            noun = pick(nouns)
            self._company(
                name=f"{acquired} {noun} {pick(a_suffixes)}", brand=acquired, country=a_code,
                industry=a_industry, parent=root, employees=self._employees(50, 3000),
                domains=(self._free_domain(f"{_ascii(acquired + noun)}.io", f"{_ascii(acquired)}.com"),),
            )

    def _showcase(self) -> None:
        """Fixed accounts a demo can walk through, whatever the seed, incl. the hard matching cases."""
        acme = self._company(
            name="Acme Holdings Inc.", brand="Acme", country="US", industry="Manufacturing", employees=42_000,
            domains=("acme.com", "acme-holdings.com"),
            workspace_names=(("Acme Marketing", True), ("acme-data-team", False), ("ACME EU", True),
                             ("Acme Procurement", True), ("acme-eng", False)),
        )
        uk = self._company(name="Acme UK Ltd", brand="Acme", country="GB", industry="Manufacturing",
                           employees=6_500, parent=acme, domains=("acme.co.uk",),
                           workspace_names=(("Acme UK", True), ("acme-uk-finance", False)))
        retail = self._company(name="Acme UK Retail Ltd", brand="Acme", country="GB", industry="Retail",
                               employees=2_100, parent=uk, workspace_names=(("Acme UK Retail", False),))
        self._company(name="Acme UK Retail Online Ltd", brand="Acme", country="GB", industry="Retail",
                      employees=240, parent=retail, domains=("acmeonline.co.uk",))
        self._company(name="Acme Deutschland GmbH", brand="Acme", country="DE", industry="Manufacturing",
                      employees=5_200, parent=acme, domains=("acme.de",), workspace_names=(("Acme DACH", True),))
        self._company(name="Rocketline Analytics Inc.", brand="Rocketline", country="US", industry="Software",
                      employees=380, parent=acme, domains=("rocketline.io",),
                      workspace_names=(("Rocketline", True), ("rocketline-eng", False)))
        self._company(name="Acme Labs Inc.", brand="Acme Labs", country="US", industry="Software",
                      employees=140, domains=("acmelabs.io",), workspace_names=(("Acme Labs", True),))
        self._company(name="Bank of the West", brand="Bank of the West", country="US", industry="Banking",
                      employees=10_500, domains=("bankofthewest.com", "botw.com"),
                      workspace_names=(("BotW Risk Analytics", True), ("bank-of-the-west-data", False),
                                       ("BOTW Marketing", True)))
        self._company(name="Bank of the East", brand="Bank of the East", country="US", industry="Banking",
                      employees=3_800, domains=("bankoftheeast.com",), workspace_names=(("Bank of the East", False),))
        self._company(name="Northwind Traders Ltd", brand="Northwind", country="GB", industry="Logistics",
                      employees=900, domains=("northwindtraders.co.uk",), workspace_names=(("Northwind", False),))
        self._company(name="Northwind Health Inc.", brand="Northwind Health", country="US",
                      industry="Healthcare", employees=2_600, domains=("northwindhealth.com",),
                      workspace_names=(("Northwind Health", True), ("nwh-clinical-data", False)))
        self.used_brands.update(("Acme", "Acme Labs", "Rocketline", "Bank of the West", "Bank of the East",
                                 "Northwind", "Northwind Health"))

    # --- workspaces and product users -----------------------------------------------------------

    def _company_workspaces(self, company: CompanySpec) -> None:
        rng = self.rng
        if company.workspace_names:
            named = list(company.workspace_names)
        else:
            chance, single, most = {"enterprise": (0.8, 0.55, 8), "mid_market": (0.7, 0.8, 4),
                                    "smb": (0.6, 0.93, 3), "": (0.4, 1.0, 1)}[company.tier]
            if rng.random() >= chance:
                return
            count = 1 if rng.random() < single else rng.randint(2, most)
            named = [(name, None) for name in self._workspace_names(company.brand, company, count)]
        pool: list[str] = []
        for name, linked in named:
            self._workspace(name=name, company=company, tier=company.tier, colleagues=pool, linked=linked)

    def _workspace_names(self, brand: str, company: CompanySpec | None, count: int) -> list[str]:
        pick = self.pick
        slug = _slug(brand)
        label = self.by_code[company.country][4] if company else pick(words.REGIONS)
        templates = (
            lambda: brand, lambda: f"{brand} {pick(words.DEPARTMENTS)}",
            lambda: f"{slug}-{pick(words.DEPARTMENTS).lower()}-team",
            lambda: f"{slug}-{pick(words.DEPARTMENTS).lower()}", lambda: f"{brand.upper()} {pick(words.REGIONS)}",
            lambda: f"{brand} {label}", lambda: f"{brand} ({pick(words.CITIES)})",
            lambda: f"{brand} {pick(words.DEPARTMENTS)} Team",
        )
        names: list[str] = []
        for _ in range(count * 4):
            name = pick(templates)()
            if name not in names:
                names.append(name)
            if len(names) == count:
                break
        return names

    def _workspace(self, *, name: str, company: CompanySpec | None, tier: str, colleagues: list[str],
                   self_serve_domain: str | None = None, personal: bool = False, linked: bool | None = None) -> None:
        rng, pick = self.rng, self.pick
        plan = rng.choices(tuple(PLANS), PLAN_WEIGHTS[tier])[0]
        if personal:
            plan = "free" if rng.random() < 0.8 else "team"
        seat_price, _, (low, high) = PLANS[plan]
        seats = round(math.exp(rng.uniform(math.log(low), math.log(high + 1)))) if plan != "free" else rng.randint(1, 5)
        if company is not None and company.employee_count:
            seats = max(low, min(seats, company.employee_count))
        roll = rng.random()
        status = "trial" if roll < 0.07 else "churned" if roll < 0.15 else "suspended" if roll < 0.19 else "active"
        if status == "suspended" and plan == "free":
            status = "active"  # suspension is for unpaid invoices
        if status == "trial" and plan == "free":
            plan = "team"
            seat_price, _, (low, high) = PLANS[plan]
            seats = max(seats, low)
        days_old = rng.uniform(1, 30) if status == "trial" else rng.uniform(120 if status == "churned" else 30, 3 * 365)
        created_at = self.now - timedelta(seconds=int(days_old * 86400))
        discount = rng.uniform(0.1, 0.35) if plan == "enterprise" else rng.uniform(0, 0.15) if seats > 100 else 0
        list_mrr = round(seats * seat_price * (1 - discount))
        mrr = Decimal(list_mrr if status in ("active", "suspended") else 0).quantize(Decimal("0.01"))
        last_period = self.last_period
        if status == "churned":
            churned = created_at + (self.now - created_at) * rng.uniform(0.4, 0.95)
            last_period = churned.date().replace(day=1)
        elif status == "suspended":
            last_period = months_back(self.today, rng.randint(2, 4))[0]
        if linked is None:
            linked = company is not None and rng.random() < LINKED_SHARE
        ws = WorkspaceSpec(
            external_id=f"{WORKSPACE_PREFIX}{len(self.data.workspaces) + 1:06d}", name=name, plan=plan,
            seats=seats, mrr=mrr, status=status, created_at=created_at,
            company=company.external_id if linked else None,
            matched_at=self._between(created_at, self.now) if linked else None, list_mrr=list_mrr,
            shape="shrinking" if status == "churned" and rng.random() < 0.6 else rng.choices(SHAPES, SHAPE_WEIGHTS)[0],
            ratio=rng.uniform(0.15, 1.1), growth=rng.uniform(0.02, 0.10), phase=rng.randint(0, 11),
            last_period=last_period,
        )
        self.data.workspaces.append(ws)
        churn_at = datetime.combine(last_period, time(), tzinfo=UTC) + timedelta(days=27)
        active_until = min(self.now, churn_at) if status in ("churned", "suspended") else self.now
        count = max(1, min(self.profile.users_cap, round(seats * rng.uniform(0.35, 1.0))))
        members: list[str] = []
        for index in range(count):
            if index and colleagues and rng.random() < 0.12:
                user = pick(colleagues)  # someone already in a sibling workspace of the company
                if user in members:
                    continue
            else:
                user = self._user(
                    company=company, workspace=ws, active_until=active_until, first=index == 0,
                    self_serve_domain=self_serve_domain, personal=personal, brand=name if personal else None,
                )
                colleagues.append(user)
            members.append(user)
            role = "admin" if index == 0 or rng.random() < 0.08 else "member"
            self.data.memberships.append((user, ws.external_id, role))
        ws.user_count = len(members)

    def _self_serve_workspace(self) -> None:
        """A workspace of a company the CRM does not know, or one person's own."""
        rng, pick = self.rng, self.pick
        if rng.random() < 0.3:
            country = self._country()
            first = pick(words.FIRST_NAMES[country[5]])
            name = pick((f"{first}'s workspace", f"{first.lower()}-personal", "My workspace", f"{first} test"))
            self._workspace(name=name, company=None, tier="", colleagues=[], personal=True)
            return
        brand = self._brand()
        stem = _ascii(brand)
        domain = self._free_domain(f"{stem}.{pick(('com', 'io', 'co', 'app'))}", f"get{stem}.com")
        self.used_domains.add(domain)
        name = self._workspace_names(brand, None, 1)[0]
        self._workspace(name=name, company=None, tier="", colleagues=[], self_serve_domain=domain)

    def _between(self, start: datetime, end: datetime) -> datetime:
        span = max(0, int((end - start).total_seconds()))
        return start + timedelta(seconds=int(self.rng.random() * (span + 1)))

    def _user(self, *, company: CompanySpec | None, workspace: WorkspaceSpec, active_until: datetime, first: bool,
              self_serve_domain: str | None, personal: bool, brand: str | None) -> str:
        rng, pick = self.rng, self.pick
        country = self.by_code[company.country] if company else self._country()
        culture = country[5] if rng.random() < 0.8 else pick(tuple(words.FIRST_NAMES))
        first_name, last_name = pick(words.FIRST_NAMES[culture]), pick(words.LAST_NAMES[culture])
        f, last = _ascii(first_name), _ascii(last_name)
        free_mail = personal or rng.random() < FREE_MAIL_SHARE
        true_company = None
        if free_mail:
            domain = pick(words.FREE_MAIL)
            local = pick((f"{f}.{last}", f"{f}{last[0]}{rng.randint(1, 99)}", f"{f}.{last}{rng.randint(70, 99)}",
                          f"{f[0]}{last}{rng.randint(1, 999)}"))
        else:
            if company is not None:
                own = company.domains or self._nearest_domains(company)
                domain = pick(own if rng.random() < 0.75 or not company.family else company.family)
                true_company = self.domain_owner[domain]
            else:
                domain = self_serve_domain
            if rng.random() < 0.1:
                domain = f"{pick(words.SUBDOMAIN_PREFIXES)}.{domain}"
            local = rng.choices((f"{f}.{last}", f"{f[0]}{last}", f"{f}", f"{f}_{last}", f"{f}{last[0]}"),
                                cum_weights=(50, 70, 80, 90, 100))[0]
        email = f"{local}@{domain}"
        if email in self.used_emails:
            email = self._numbered(self.used_emails, local, f"@{domain}")
        self.used_emails.add(email)
        if company is not None:
            typed = self._typed_name(company) if (free_mail and rng.random() < 0.85) or rng.random() < 0.3 else ""
        elif brand is None and rng.random() < 0.6:
            typed = pick((workspace.name, workspace.name.upper(), f"{workspace.name} Inc"))
        else:
            typed = ""
        signed_up = workspace.created_at + timedelta(minutes=rng.randint(0, 90)) if first else self._between(
            workspace.created_at, active_until)
        roll = rng.random()
        if active_until < self.now or roll < 0.15:  # inactive for more than 90 days, or gone with the workspace
            last_active = self._between(signed_up, max(signed_up, min(active_until, self.now - timedelta(days=91))))
        elif roll < 0.3:
            last_active = self._between(max(signed_up, self.now - timedelta(days=90)), self.now - timedelta(days=14))
        else:
            last_active = self._between(max(signed_up, self.now - timedelta(days=14)), self.now)
        last_active = max(last_active, signed_up)
        linked = true_company is not None and rng.random() < LINKED_SHARE
        spec = UserSpec(
            external_id=f"{USER_PREFIX}{len(self.data.users) + 1:07d}", email=email,
            name=f"{first_name} {last_name}", company_name=typed, title=pick(words.TITLES),
            signed_up_at=signed_up, last_active_at=last_active,
            company=true_company.external_id if linked else None,
            matched_at=self._between(signed_up, self.now) if linked else None,
        )
        self.data.users.append(spec)
        return spec.external_id

    def _nearest_domains(self, company: CompanySpec) -> list[str]:
        # Divisions without a domain of their own use their parent's (acme.co.uk for Acme UK Retail).
        by_id = self._company_index()
        current = company
        while current.parent is not None:
            current = by_id[current.parent]
            if current.domains:
                return current.domains
        return company.family

    def _company_index(self) -> dict[str, CompanySpec]:
        if getattr(self, "_index_size", -1) != len(self.data.companies):
            self._index = {c.external_id: c for c in self.data.companies}
            self._index_size = len(self.data.companies)
        return self._index

    def _typed_name(self, company: CompanySpec) -> str:
        """What a person types as their company at sign-up: case, suffix and spelling vary."""
        rng = self.rng
        brand, label = company.brand, self.by_code[company.country][4]
        variant = rng.randint(0, 11)
        if variant == 0:
            return company.name
        if variant == 1:
            return brand
        if variant == 2:
            return f"{brand.upper()} CORP."
        if variant == 3:
            return f"{brand} Corporation"
        if variant == 4:
            return f"{brand.lower()} inc"
        if variant in (5, 6):
            return _typo(rng, brand)
        if variant == 7:
            return f"{brand} {label}"
        if variant == 8:
            return company.name.replace(".", "").replace(",", "")
        if variant == 9:
            return f"{brand}, Inc."
        if variant == 10:
            return f"The {brand} Group"
        return brand.lower()


def _typo(rng: random.Random, word: str) -> str:
    letters = [i for i, ch in enumerate(word) if ch.isalpha()]
    i = rng.choice(letters[1:] or letters)
    kind = rng.randint(0, 3) if len(letters) > 3 else 0
    if kind == 0:
        return word[: i + 1] + word[i] + word[i + 1:]  # doubled letter: Acmee
    if kind == 1:
        return word[:i] + word[i + 1:]  # dropped letter
    if kind == 2 and i + 1 < len(word) and word[i + 1].isalpha():
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swapped letters
    return word[:i] + rng.choice("aeiou") + word[i + 1:]


def demo_generate(*, seed: int, profile: SizeProfile, today: date) -> DemoData:
    """The whole demo data set for ``seed`` as specs; usage is generated lazily by ``DemoData.usage``."""
    return _Generator(seed=seed, profile=profile, today=today).run()
