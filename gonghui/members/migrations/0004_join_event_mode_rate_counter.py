"""扫码入会 identity (issue 9): the union's 活动模式 (event mode) period, and the atomic rate-limit counters
that replace the database cache's read-then-write incr on the join and SMS paths."""
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0003_person_employer_union_idx'),
    ]

    operations = [
        migrations.AddField(
            model_name='joinsettings',
            name='event_until',
            field=models.DateTimeField(blank=True, null=True, verbose_name='活动模式截止时间'),
        ),
        migrations.CreateModel(
            name='RateCounter',
            fields=[
                ('bucket', models.CharField(max_length=64, primary_key=True, serialize=False)),
                ('expires', models.BigIntegerField()),
                ('hits', models.IntegerField(default=0)),
            ],
            options={
                'verbose_name': '限流计数',
                'verbose_name_plural': '限流计数',
                'indexes': [models.Index(fields=['expires'], name='ratecounter_expires_idx')],
            },
        ),
    ]
