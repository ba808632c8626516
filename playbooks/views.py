from revops.areas import Area, render_area

AREA = Area(
    key="playbooks",
    title="Playbooks",
    summary="Sales plays that RevOps admins define in the admin: a goal, a trigger signal, a persona, an owner team, KPIs, pitfalls and steps.",
    will_show=("Accounts matching each playbook's signal, assigned to reps (Consolidation, Small deal at a big company, …)", 'The rep inbox: open plays with the why and the steps', 'Reporting per playbook: surfaced, actioned, converted, committed revenue and lift',),
)


def index(request):
    return render_area(request, AREA)
