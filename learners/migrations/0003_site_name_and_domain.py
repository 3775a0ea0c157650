from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


def name_the_site(apps, schema_editor):
    # allauth's emails greet with the Site's name and domain; "example.com" would confuse people.
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": settings.SITE_NAME}
    )


class Migration(migrations.Migration):
    dependencies = [("learners", "0002_placement"), ("sites", "0002_alter_domain_unique")]

    operations = [migrations.RunPython(name_the_site, migrations.RunPython.noop)]
