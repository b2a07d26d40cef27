"""Role assignments name either a union (a subtree) or a unit off the tree (协同单位: 人社局, a partner bank).

Existing rows all name a union and are kept as they are. Reversing drops the unit assignments first (the old
schema cannot hold them), then restores `union` as required."""

import django.db.models.deletion
from django.db import migrations, models


def drop_unit_assignments(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("accounts", "RoleAssignment").objects.filter(union__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
        ('orgs', '0002_enterprise_counts_index'),
    ]

    operations = [
        migrations.CreateModel(
            name='Unit',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True, verbose_name='单位名称')),
                ('kind', models.CharField(choices=[('department', '政府部门'), ('bank', '合作银行'), ('other', '其他单位')], default='department', max_length=12, verbose_name='类别')),
                ('code', models.CharField(blank=True, max_length=18, null=True, unique=True, verbose_name='统一社会信用代码')),
                ('active', models.BooleanField(default=True, verbose_name='有效')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
            ],
            options={
                'verbose_name': '协同单位',
                'verbose_name_plural': '协同单位',
                'ordering': ['kind', 'name'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='roleassignment',
            name='uniq_role_assignment',
        ),
        migrations.AlterField(
            model_name='roleassignment',
            name='union',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='orgs.union', verbose_name='组织节点'),
        ),
        migrations.AddField(
            model_name='roleassignment',
            name='unit',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='accounts.unit', verbose_name='协同单位'),
        ),
        migrations.RunPython(migrations.RunPython.noop, drop_unit_assignments),
        migrations.AddConstraint(
            model_name='roleassignment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('union__isnull', False), ('unit__isnull', True)), models.Q(('union__isnull', True), ('unit__isnull', False)), _connector='OR'), name='role_assignment_union_xor_unit', violation_error_message='角色授权须指定一个组织节点或一个协同单位（只能二选一）'),
        ),
        migrations.AddConstraint(
            model_name='roleassignment',
            constraint=models.UniqueConstraint(condition=models.Q(('union__isnull', False)), fields=('user', 'role', 'union'), name='uniq_role_assignment'),
        ),
        migrations.AddConstraint(
            model_name='roleassignment',
            constraint=models.UniqueConstraint(condition=models.Q(('unit__isnull', False)), fields=('user', 'role', 'unit'), name='uniq_role_assignment_unit'),
        ),
    ]
