"""Deployment defaults, proved on the real settings module in a fresh process (as gunicorn or manage.py loads it).

Given production (no GONGHUI_DEMO, no GONGHUI_DEBUG, not under pytest): without keys nothing starts and the message
says how to make them; with keys made by the commands that message prints, `check --deploy` is clean. Demo mode
still makes its local keys, in var/ only.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from config import keys

ROOT = Path(settings.BASE_DIR)


def _env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The machine's environment as production sees it: none of our variables, not under pytest."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GONGHUI_", "PYTEST_")) and k not in {"CACHE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update({"DJANGO_SETTINGS_MODULE": "config.settings", "GONGHUI_VAR_DIR": str(var_dir), **extra})
    return env


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _made_keys() -> dict[str, str]:
    """Run the two command lines the refusal message prints, exactly as printed, and keep what they print."""
    made = {}
    for name, command in (("GONGHUI_SECRET_KEY", keys.SECRET_KEY_COMMAND), ("GONGHUI_FIELD_KEYS", keys.FIELD_KEY_COMMAND)):
        out = subprocess.run(command, shell=True, capture_output=True, text=True, check=True, timeout=30)  # noqa: S602
        made[name] = out.stdout.strip()
    return made


def test_production_without_keys_refuses_to_start_and_says_how_to_make_them(tmp_path: Path) -> None:
    done = _manage(_env(tmp_path), "check")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr  # one message, not a stack
    for text in ("GONGHUI_SECRET_KEY", "GONGHUI_FIELD_KEYS", "生产模式", keys.SECRET_KEY_COMMAND, keys.FIELD_KEY_COMMAND,
                 "gonghui did not start"):
        assert text in done.stderr
    # and no key was generated beside the data
    assert not (tmp_path / "secret.key").exists() and not (tmp_path / "field.key").exists()


def test_production_with_only_one_key_names_the_missing_one(tmp_path: Path) -> None:
    made = _made_keys()
    done = _manage(_env(tmp_path, GONGHUI_SECRET_KEY=made["GONGHUI_SECRET_KEY"]), "check")
    assert done.returncode != 0
    first_line = done.stderr.splitlines()[0]
    assert "GONGHUI_FIELD_KEYS" in first_line and "GONGHUI_SECRET_KEY" not in first_line


def test_a_malformed_field_key_is_refused_at_start(tmp_path: Path) -> None:
    made = _made_keys()
    env = _env(tmp_path, GONGHUI_SECRET_KEY=made["GONGHUI_SECRET_KEY"],
               GONGHUI_FIELD_KEYS=f"{made['GONGHUI_FIELD_KEYS']},not-a-key")
    done = _manage(env, "check")
    assert done.returncode != 0 and "第 2 个密钥格式不对" in done.stderr and "Traceback" not in done.stderr


def test_production_with_the_printed_keys_passes_check_deploy_clean(tmp_path: Path) -> None:
    made = _made_keys()
    assert len(made["GONGHUI_SECRET_KEY"]) >= 50
    env = _env(tmp_path, **made)
    assert _manage(env, "check").returncode == 0
    done = _manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stderr
    assert "System check identified no issues" in done.stdout
    assert not (tmp_path / "secret.key").exists() and not (tmp_path / "field.key").exists()


def test_plain_http_is_an_explicit_choice_that_check_deploy_reports(tmp_path: Path) -> None:
    env = _env(tmp_path, GONGHUI_HTTPS="0", **_made_keys())
    done = _manage(env, "check", "--deploy")
    found = set(re.findall(r"security\.W\d+", done.stdout + done.stderr))
    assert {"security.W004", "security.W008", "security.W012", "security.W016"} <= found


def test_the_production_profile_in_effect(tmp_path: Path) -> None:
    """Given production behind a TLS proxy, the effective settings are the secure ones."""
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "s.SECURE_PROXY_SSL_HEADER, s.DEBUG, s.DEMO_MODE, s.CACHES['default']['BACKEND'].rsplit('.', 1)[1], "
        "'pub.example.cn' in s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS)"
    )
    env = _env(tmp_path, GONGHUI_PROXY_SSL_HEADER="X-Forwarded-Proto", GONGHUI_PUBLIC_URL="https://pub.example.cn/",
               **_made_keys())
    done = _manage(env, "shell", "-v0", "-c", code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [
        "True", "True", "True", "31536000", "('HTTP_X_FORWARDED_PROTO',", "'https')", "False", "False",
        "DatabaseCache", "True", "['https://pub.example.cn']",
    ]


def test_demo_mode_makes_local_keys_in_var_only(tmp_path: Path) -> None:
    env = _env(tmp_path, GONGHUI_DEMO="1")
    done = _manage(env, "check")
    assert done.returncode == 0, done.stderr
    for name in ("secret.key", "field.key"):
        path = tmp_path / name
        assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert keys.field_keys((tmp_path / "field.key").read_text())  # a valid Fernet key
    # and the same keys on the next start (the demo database stays readable)
    before = (tmp_path / "field.key").read_text()
    assert _manage(env, "check").returncode == 0 and (tmp_path / "field.key").read_text() == before


def test_var_keys_are_never_committed() -> None:
    ignored = subprocess.run(["git", "check-ignore", "-q", "var/field.key"], cwd=ROOT, timeout=30)
    assert ignored.returncode == 0


def _make(target: str, tmp_path: Path) -> list[str]:
    """Run a Makefile target for real with stand-ins for python and gunicorn that print the demo flag they got."""
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "gunicorn"):
        stub = bin_dir / tool
        stub.write_text(f'#!/bin/sh\necho "{tool} GONGHUI_DEMO=${{GONGHUI_DEMO:-}} $*"\n')
        stub.chmod(0o755)
    done = subprocess.run(
        ["make", "--no-print-directory", target, f"VENV={tmp_path / 'venv'}", "UV=/bin/true", "PYTHON=/bin/true"],
        cwd=ROOT, env=_env(tmp_path), capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line.startswith(("python ", "gunicorn "))]


def test_make_serve_does_not_set_demo_mode(tmp_path: Path) -> None:
    ran = _make("serve", tmp_path)
    assert any(line.startswith("gunicorn ") for line in ran)
    assert all("GONGHUI_DEMO= " in line for line in ran), ran


def test_make_demo_sets_demo_mode_for_everything_it_runs(tmp_path: Path) -> None:
    ran = _make("demo", tmp_path)
    assert any("load_demo" in line for line in ran) and any(line.startswith("gunicorn ") for line in ran)
    assert all("GONGHUI_DEMO=1 " in line for line in ran), ran


def test_make_demo_names_every_demo_account() -> None:
    text = (ROOT / "Makefile").read_text()
    echo = "\n".join(line for line in text.splitlines() if "@echo" in line)
    for name in ("huangyan", "dongcheng", "yuanqiao", "kuaidi", "chakan", "renshe"):
        assert name in echo


def test_cache_url_selects_the_backend() -> None:
    from config.settings import _cache_from_url

    assert _cache_from_url("")["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert _cache_from_url("db://")["LOCATION"] == "gonghui_cache"
    redis = _cache_from_url("redis://127.0.0.1:6379/3")
    assert redis["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert redis["LOCATION"] == "redis://127.0.0.1:6379/3"
    with pytest.raises(ImproperlyConfigured, match="CACHE_URL"):
        _cache_from_url("memcached://127.0.0.1:11211")
