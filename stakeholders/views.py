from revops.areas import Area, render_area

AREA = Area(
    key="stakeholders",
    title="Weekly review",
    summary="The managers' weekly review of the top accounts: the five key stakeholders of each and when each was last contacted.",
    will_show=('Stakeholder maps per account, colour-coded by role', 'Contact logging in three clicks from the account page', 'Coverage flags: fewer than five known, single-threaded, stale, no economic buyer',),
)


def index(request):
    return render_area(request, AREA)
