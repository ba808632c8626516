"""REST endpoints of the accounts area, registered on /api/v1/ through ROUTES."""

ROUTES: list = []
