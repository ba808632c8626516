"""Contracts, pipeline and retention (NRR/GRR) pages."""
urlpatterns: list = []
