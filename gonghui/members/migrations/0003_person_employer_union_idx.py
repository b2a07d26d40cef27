"""An index for the 工作台's 入会率: members counted per employer (and, joined, per township) read the index alone
instead of the 116k-row members table."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0002_importjob"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["employer", "current_union"], name="person_employer_union_idx"),
        ),
    ]
