"""A small but complete resolution scenario shared by the run tests: companies with domains,
workspaces with admins and members on corporate and free-mail addresses, typed names, and manual
decisions of every kind."""

from django.utils import timezone

from accounts.models import Company, CompanyDomain, MatchFields, ProductUser, Workspace, WorkspaceMembership

MATCH = ("company_id", "suggested_company_id", "match_method", "match_confidence", "match_status", "match_reason",
         "matched_by_id")
ADMIN, MEMBER = WorkspaceMembership.Role.ADMIN, WorkspaceMembership.Role.MEMBER


def snapshot() -> dict:
    """Every record's match fields (without matched_at, which says when, not what)."""
    return {
        "users": {row[0]: row[1:] for row in ProductUser.objects.order_by("id").values_list("external_id", *MATCH)},
        "workspaces": {row[0]: row[1:] for row in Workspace.objects.order_by("id").values_list("external_id", *MATCH)},
    }


def build(prefix: str = "S", *, companies: int = 12, workspaces: int = 18, people: int = 8) -> dict:
    """Deterministic data: ``companies`` companies (each with one or two domains), workspaces whose
    members mostly share a company, free-mail members with typed names (right, wrong, junk, none)."""
    made = [
        Company.objects.create(external_id=f"{prefix}C{i}", name=name)
        for i, name in enumerate(
            ["Acme Corporation", "Globex Industries", "Initech LLC", "Umbrella Corporation", "Stark Industries",
             "Wayne Enterprises", "Hooli Inc", "Vandelay Industries", "Soylent Corp", "Tyrell Corporation",
             "Cyberdyne Systems", "Wonka Industries", "Pied Piper Inc", "Massive Dynamic"][:companies]
        )
    ]
    slugs = [c.name.split()[0].lower() for c in made]
    for company, slug in zip(made, slugs):
        CompanyDomain.objects.create(company=company, domain=f"{slug}.com")
        if company.pk % 3 == 0:
            CompanyDomain.objects.create(company=company, domain=f"{slug}.co.uk")
    free = ["gmail.com", "yahoo.com", "hotmail.com"]
    typed = ["{name}", "{name} Inc.", "{upper}", "n/a", "", "{slug} data team", "Bank of the North"]
    spaces = []
    n = 0
    for w in range(workspaces):
        owner = w % len(made)
        space = Workspace.objects.create(
            external_id=f"{prefix}W{w}",
            name=[f"{slugs[owner]}-analytics", "Sandbox", f"{made[owner].name} Marketing", "Team Rocket"][w % 4],
            seats=5 + w,
        )
        spaces.append(space)
        for p in range(people):
            n += 1
            company = made[(owner + (p == people - 1)) % len(made)]  # one member from a neighbour company
            slug = slugs[made.index(company)]
            if p % 3 == 2:
                email = f"{prefix.lower()}{n}@{free[n % 3]}"
            elif p % 5 == 4:
                email = f"{prefix.lower()}{n}@eu.{slug}.com"
            else:
                email = f"{prefix.lower()}{n}@{slug}.com"
            pattern = typed[n % len(typed)]
            user = ProductUser.objects.create(
                external_id=f"{prefix}U{n}", email=email,
                company_name=pattern.format(name=company.name, upper=company.name.upper(), slug=slug),
            )
            WorkspaceMembership.objects.create(user=user, workspace=space, role=ADMIN if p == 0 else MEMBER)
    # a few people on domains no company owns, and users in no workspace
    for k in range(4):
        n += 1
        ProductUser.objects.create(external_id=f"{prefix}U{n}", email=f"x{k}@unknown-firm{k}.io",
                                   company_name=made[k].name if k % 2 else "")
    return {"companies": made, "workspaces": spaces}


def decide_manually(record, *, company, status, by=None) -> None:
    """What a person's decision leaves on a record (the review queue's services do the same)."""
    record.company = company
    record.suggested_company = None
    record.match_method = MatchFields.Method.MANUAL
    record.match_status = status
    record.match_confidence = 1.0 if company else None
    record.match_reason = "decided by a person"
    record.matched_at = timezone.now()
    record.matched_by = by
    record.save()
