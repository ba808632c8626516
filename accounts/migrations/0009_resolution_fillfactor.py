"""Fillfactor 85 on product users and workspaces (PostgreSQL only).

A resolution run rewrites records whose outcome changed; after new people join a workspace, most
of those changes are a colleague count and a confidence in the reason ("3 of 7 colleagues …") —
columns no index covers. PostgreSQL can then update the row in place (a HOT update: no new entry in
any of the table's indexes, no other page dirtied), but only if the row's page has room for the new
version. Filled to 85 %, every page keeps that room (a few hundred bytes per row: several updates
per page between vacuums). The setting applies to pages written from now on (loads, imports,
updates); existing pages keep their fill until they are rewritten. SQLite has no such setting.
"""

from django.db import migrations

TABLES = ("accounts_productuser", "accounts_workspace")


def _fillfactor(value: int | None):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in TABLES:
            name = schema_editor.quote_name(table)
            schema_editor.execute(f"ALTER TABLE {name} SET (fillfactor = {value})" if value
                                  else f"ALTER TABLE {name} RESET (fillfactor)")

    return run


class Migration(migrations.Migration):
    dependencies = [("accounts", "0008_search_indexes")]

    operations = [migrations.RunPython(_fillfactor(85), _fillfactor(None), elidable=False)]
