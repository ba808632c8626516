"""REST endpoints of this area, registered on /api/v1/ through ROUTES."""

ROUTES: list = []
