"""Each user's time zone: times are stored in UTC and shown in the zone of the user's profile."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone


SESSION_ZONE_KEY = "revops_time_zone"


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else timezone.get_default_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_default_timezone()


def remember_zone_at_login(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: keep the profile's zone in the session for the middleware."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_ZONE_KEY] = user_zone(user).key


def user_zone(user) -> ZoneInfo:
    """The zone of ``user``'s profile; the site's default zone for anonymous users or a bad name."""
    name = ""
    if user is not None and getattr(user, "is_authenticated", False):
        profile = getattr(user, "profile", None) if hasattr(user, "profile") else None
        name = getattr(profile, "time_zone", "") or ""
    return zone_named(name)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: the key of weekly review sessions, digests and forecast snapshots."""
    return day - timedelta(days=day.weekday())


def local_today(user=None, *, now: datetime | None = None) -> date:
    """Today's calendar date in the user's zone."""
    return timezone.localtime(now or timezone.now(), user_zone(user)).date()


def days_since(moment: datetime | None, *, zone: ZoneInfo, today: date) -> int | None:
    """Calendar days between ``moment`` (as a date in ``zone``) and ``today``; None when never."""
    if moment is None:
        return None
    return (today - timezone.localtime(moment, zone).date()).days
