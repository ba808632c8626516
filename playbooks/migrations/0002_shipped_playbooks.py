"""The four playbooks revops ships with; editable (and deletable) in the admin afterwards.

The definitions are frozen here, as migrations must be; tests check that each signal passes the
current registry's validation. Re-running never overwrites an admin's edits: a playbook whose slug
exists is left alone.
"""
from django.db import migrations

SHIPPED = [
    {
        "slug": "consolidation",
        "name": "Consolidation",
        "description": "Usage has spread through the company in disconnected pockets: teams signed up on their own. "
                       "Bring them under one enterprise agreement. Owned by Sales, with Customer Success in support.",
        "maturity": "advanced",
        "goal_type": "consolidation",
        "goal": "Disparate usage aggregated under a single enterprise agreement.",
        "when_to_run": "Several organisations or workspaces were created within one company — more than is typical "
                       "for a company of its size.",
        "target_personas": ["decision_maker", "economic_buyer"],
        "kpis": ["committed_revenue", "conversion_rate", "time_to_first_action"],
        "pitfalls": "Needs a tangible incentive — a volume price, higher limits, premium features or an account "
                    "manager; without one, customers keep the status quo.\n"
                    "May reduce margins unnecessarily: a discount more generous than it takes to move the customer "
                    "gives margin away for nothing.",
        "schedule": "weekly",
        "cooldown_days": 90,
        "max_open_plays_per_rep": 25,
        "signal": {"match": "all", "conditions": [
            {"metric": "workspace_count", "operator": "gte", "value": 2},
            {"match": "any", "conditions": [
                {"metric": "workspace_count", "operator": "gte", "value": 3},
                {"metric": "workspace_rank", "operator": "gte", "value": 90},
            ]},
        ]},
        "context_metrics": ["seats", "mrr", "active_contracts"],
        "steps": [
            ("Identify related accounts", "Find every workspace and subsidiary that ladders up to one enterprise: "
             "the account page's hierarchy and the consolidation page list them.", 3, "account_executive"),
            ("Research how they get value", "Talk to the workspace admins: which teams use the product, for what, "
             "and what they pay today.", 7, "customer_success"),
            ("Build the point of view", "The benefits of one enterprise licence: cost, features, limits, extra "
             "seats, a one-time discount — priced from the price book, with the margin in mind.", 14,
             "account_executive"),
            ("Pitch decision makers", "Present to the decision makers and account leadership; agree the next step "
             "and open the opportunity.", 21, "account_executive"),
        ],
    },
    {
        "slug": "small-deal-big-company",
        "name": "Small deal at a big company",
        "description": "The account's spend is a small share of what it could spend. A land is an option on the rest, "
                       "easily thrown away when a central buyer runs a bake-off: treat it as an unclosed opportunity.",
        "maturity": "intermediate",
        "goal_type": "expansion",
        "goal": "The remaining potential of the account is worked as an open opportunity, with every key "
                "stakeholder reached.",
        "when_to_run": "Actual spend is under 10 % of the account's potential, and the potential is worth the effort.",
        "target_personas": ["economic_buyer", "executive_sponsor", "decision_maker"],
        "kpis": ["pipeline_created", "stakeholder_coverage", "conversion_rate"],
        "pitfalls": "A lost small deal at a big company is still an active opportunity: do not close the account.\n"
                    "Single-threaded through the first buyer: one departure and the land is gone.",
        "schedule": "weekly",
        "cooldown_days": 90,
        "max_open_plays_per_rep": 25,
        "signal": {"match": "all", "conditions": [
            {"metric": "arr", "operator": "gt", "value": 0},
            {"metric": "potential_arr", "operator": "gte", "value": 100000},
            {"metric": "penetration", "operator": "lt", "value": 10},
        ]},
        "context_metrics": ["workspace_count", "known_stakeholders"],
        "steps": [
            ("Map the account", "Divisions, regions and subsidiaries; where the product is used and where it could "
             "be.", 5, "account_executive"),
            ("Reach every key stakeholder", "Economic buyer, decision maker, champion, executive sponsor, technical "
             "evaluator: name them and get a first conversation with each.", 14, "account_executive"),
            ("Size the unclosed potential", "Potential against actual, by department: where is the next deal?", 21,
             "account_executive"),
            ("Open the expansion opportunity", "Log the opportunity for the rest of the account and agree the "
             "mutual plan.", 30, "account_executive"),
        ],
    },
    {
        "slug": "consumption-ahead-of-commit",
        "name": "Consumption ahead of commit",
        "description": "The customer is consuming faster than the commit predicts: expand the commit before the "
                       "overage or the true-up surprises anybody.",
        "maturity": "intermediate",
        "goal_type": "expansion",
        "goal": "A larger commit (or an early renewal) signed before the current one runs out.",
        "when_to_run": "The commit burn ratio is above 1.1 and usage is still growing.",
        "target_personas": ["economic_buyer", "champion"],
        "kpis": ["committed_revenue", "conversion_rate"],
        "pitfalls": "Do not wait for the true-up: an unexpected bill sours the renewal.\n"
                    "Check the growth is durable (not a one-off migration) before sizing the new commit.",
        "schedule": "weekly",
        "cooldown_days": 30,
        "max_open_plays_per_rep": 25,
        "signal": {"match": "all", "conditions": [
            {"metric": "burn_ratio", "operator": "gt", "value": 1.1},
            {"metric": "usage_growth", "operator": "gt", "value": 0, "params": {"months": 3}},
        ]},
        "context_metrics": ["active_contracts", "mrr"],
        "steps": [
            ("Confirm the trend", "Check the burn-down and the usage by workspace: who drives the growth?", 3,
             "customer_success"),
            ("Project the overage", "When will the commit run out, and what would the true-up be?", 7,
             "account_executive"),
            ("Propose the expansion", "A larger commit or an early renewal at a better unit price.", 14,
             "account_executive"),
        ],
    },
    {
        "slug": "stakeholder-coverage-gap",
        "name": "Stakeholder coverage gap",
        "description": "A top account with too few known people, or nobody spoken to in a month: one departure away "
                       "from losing the relationship.",
        "maturity": "foundational",
        "goal_type": "coverage",
        "goal": "Five key stakeholders known and at least one contacted every 30 days.",
        "when_to_run": "Top accounts (potential in the top 20 %) with fewer than five known stakeholders or none "
                       "contacted in 30 days.",
        "target_personas": ["economic_buyer", "executive_sponsor", "champion", "decision_maker",
                            "technical_evaluator"],
        "kpis": ["stakeholder_coverage", "time_to_first_action"],
        "pitfalls": "Counting contacts is not coverage: the five must include someone with budget and an "
                    "executive sponsor.",
        "schedule": "weekly",
        "cooldown_days": 14,
        "max_open_plays_per_rep": 25,
        "signal": {"match": "all", "conditions": [
            {"metric": "potential_arr", "operator": "above_percentile", "value": 80},
            {"match": "any", "conditions": [
                {"metric": "known_stakeholders", "operator": "lt", "value": 5},
                {"metric": "contacted_30d", "operator": "eq", "value": 0},
            ]},
        ]},
        "context_metrics": ["days_since_contact", "arr"],
        "steps": [
            ("Name the five key stakeholders", "Economic buyer, decision maker, champion, executive sponsor, "
             "technical evaluator — from the org chart, LinkedIn and the product users.", 7, "account_executive"),
            ("Reach out to the missing ones", "Ask the champion for introductions; log each contact.", 14,
             "account_executive"),
            ("Review in the weekly review", "Walk the manager through the new map.", 14, "manager"),
        ],
    },
]


def ship(apps, schema_editor):
    Playbook = apps.get_model("playbooks", "Playbook")
    PlaybookStep = apps.get_model("playbooks", "PlaybookStep")
    for spec in SHIPPED:
        if Playbook.objects.filter(slug=spec["slug"]).exists():
            continue
        fields = {k: v for k, v in spec.items() if k != "steps"}
        playbook = Playbook.objects.create(**fields, schedule_hour=6, schedule_weekday=0, is_active=True)
        PlaybookStep.objects.bulk_create(
            PlaybookStep(playbook=playbook, position=i, title=title, guidance=guidance, due_after_days=due, role=role)
            for i, (title, guidance, due, role) in enumerate(spec["steps"], start=1)
        )


def unship(apps, schema_editor):
    apps.get_model("playbooks", "Playbook").objects.filter(slug__in=[s["slug"] for s in SHIPPED]).delete()


class Migration(migrations.Migration):
    dependencies = [("playbooks", "0001_initial")]

    operations = [migrations.RunPython(ship, unship)]
