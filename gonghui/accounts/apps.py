from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "gonghui.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self) -> None:
        from gonghui.core import registry as r

        r.register_nav(r.NavItem("用户管理", "user_list", group="system", permission="manage_users", order=5))
        r.register_nav(r.NavItem("角色与权限", "roles", group="system", order=6))
