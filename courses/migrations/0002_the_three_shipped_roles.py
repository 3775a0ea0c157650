from django.db import migrations

ROLES = [
    (
        "newcomer",
        "Newcomer",
        "New to a professional social media role, often at an agency: you know the platforms "
        "as a user and now need the craft behind posting, community management, client voice "
        "and reporting.",
    ),
    (
        "strategy-lead",
        "Strategy lead",
        "An experienced marketer who now owns social strategy: goals, governance, an internal "
        "social media policy, crisis planning and proving the return.",
    ),
    (
        "executive",
        "Executive",
        "A director or executive building a professional profile inside and outside the "
        "company: personal brand, thought leadership and engaging safely in public.",
    ),
]


def create_roles(apps, schema_editor):
    Role = apps.get_model("courses", "Role")
    for position, (slug, title, description) in enumerate(ROLES, start=1):
        Role.objects.get_or_create(
            slug=slug, defaults={"title": title, "description": description, "position": position}
        )


class Migration(migrations.Migration):
    dependencies = [("courses", "0001_initial")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
