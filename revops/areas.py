"""Areas of the product that later releases fill in.

The navigation already links to them; each page says plainly what the area will do and
links to the data that exists today, instead of a broken link.
"""
from dataclasses import dataclass

from django.shortcuts import render


@dataclass(frozen=True)
class Area:
    key: str
    title: str
    summary: str
    will_show: tuple[str, ...]


def render_area(request, area: Area):
    return render(request, "revops/area.html", {"area": area, "active_nav": area.key})
