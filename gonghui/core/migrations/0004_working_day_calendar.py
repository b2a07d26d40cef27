import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

NAMES = {
    "New Year's Day": "元旦", "Spring Festival": "春节", "Tomb-sweeping Day": "清明节", "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节", "National Day": "国庆节", "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    """Every year chinesecalendar knows (2004 up to its last year), as the library states it."""
    from chinese_calendar import constants

    year_model = apps.get_model("core", "CalendarYear")
    day_model = apps.get_model("core", "CalendarDay")
    years = {}
    for d in sorted(set(constants.holidays) | set(constants.workdays)):
        if d.year not in years:
            years[d.year] = year_model.objects.create(year=d.year, source="chinesecalendar")
    rows = []
    for table, kind in ((constants.holidays, "holiday"), (constants.workdays, "workday")):
        for d, holiday in table.items():
            label = getattr(holiday, "value", str(holiday))
            name = NAMES.get(label[0] if isinstance(label, tuple) else label, "")
            rows.append(day_model(year=years[d.year], date=d, kind=kind, name=name))
    day_model.objects.bulk_create(rows)


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarYear").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_loginevent"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CalendarYear",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("year", models.PositiveSmallIntegerField(unique=True, verbose_name="年份")),
                ("source", models.CharField(choices=[("chinesecalendar", "chinesecalendar 内置"), ("entered", "管理员录入")], max_length=16, verbose_name="来源")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="更新时间")),
                ("entered_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="录入人")),
            ],
            options={"verbose_name": "放假安排", "verbose_name_plural": "放假安排", "ordering": ["year"]},
        ),
        migrations.CreateModel(
            name="CalendarDay",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("date", models.DateField(unique=True, verbose_name="日期")),
                ("kind", models.CharField(choices=[("holiday", "放假"), ("workday", "调休上班")], max_length=8, verbose_name="类型")),
                ("name", models.CharField(blank=True, max_length=20, verbose_name="节日")),
                ("year", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="days", to="core.calendaryear", verbose_name="年份")),
            ],
            options={"verbose_name": "节假日与调休", "verbose_name_plural": "节假日与调休", "ordering": ["date"]},
        ),
        migrations.RunPython(seed, unseed),
    ]
