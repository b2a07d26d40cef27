# Token expiry and the "must change password" flag (the `users` branch; renumber after perm's migrations).

from datetime import timedelta

import gonghui.accounts.models
from django.conf import settings
from django.db import migrations, models


def expire_existing_tokens(apps, schema_editor):
    """Tokens issued before expiry existed live GONGHUI_API_TOKEN_DAYS from their own issue date, not from today."""
    ApiToken = apps.get_model("accounts", "ApiToken")
    days = timedelta(days=settings.GONGHUI_API_TOKEN_DAYS)
    for token in ApiToken.objects.only("pk", "created_at").iterator():
        ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at + days)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='apitoken',
            name='expires_at',
            field=models.DateTimeField(default=gonghui.accounts.models.token_expiry_default, verbose_name='过期时间'),
        ),
        migrations.RunPython(expire_existing_tokens, migrations.RunPython.noop),
        migrations.AddField(
            model_name='user',
            name='must_change_password',
            field=models.BooleanField(default=False, verbose_name='须修改密码'),
        ),
    ]
