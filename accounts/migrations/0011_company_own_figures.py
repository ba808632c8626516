"""Each company's own workspace figures (Σ mrr, Σ seats, count) in a narrow table kept by triggers on
the workspaces table; see accounts/services/figures.py. Filled from the workspaces when installed."""

import django.db.models.deletion
from django.db import migrations, models


def install(apps, schema_editor):
    from accounts.services.figures import install_triggers

    install_triggers(schema_editor.connection)


def uninstall(apps, schema_editor):
    from accounts.services.figures import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0010_company_list_indexes"),
    ]

    operations = [
        migrations.CreateModel(
            name="CompanyFigures",
            fields=[
                ("company", models.OneToOneField(on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, db_constraint=False,
                                                 related_name="figures", serialize=False, to="accounts.company")),
                ("mrr", models.DecimalField(decimal_places=2, default=0, max_digits=14)),
                ("seats", models.BigIntegerField(default=0)),
                ("workspaces", models.IntegerField(default=0)),
            ],
            options={"verbose_name_plural": "company figures"},
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
