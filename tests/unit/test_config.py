from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_PATH, ConfigError, load_settings
from bot.endpoint import DISCORD_API_BASE

TOKEN = "MTA5.Gx1y2z.abcdefghijklmnopqrstuvwxyz"


def test_defaults():
    settings = load_settings({})
    assert settings.database_path == DEFAULT_DATABASE_PATH
    assert settings.discord_api_base == DISCORD_API_BASE
    assert settings.log_level == "INFO"
    assert settings.discord_token is None


def test_missing_token_is_one_sentence_naming_it():
    with pytest.raises(ConfigError, match=r"^DISCORD_TOKEN is not set"):
        load_settings({}).require_token()


@pytest.mark.parametrize(
    ("environ", "setting"),
    [
        ({"DISCORD_TOKEN": "not a token"}, "DISCORD_TOKEN"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
        ({"DISCORD_API_BASE": "ftp://example"}, "DISCORD_API_BASE"),
        ({"DISCORD_API_BASE": "localhost:8080"}, "DISCORD_API_BASE"),
        ({"CONTENT_PATH": "/nonexistent/content.toml"}, "CONTENT_PATH"),
    ],
)
def test_malformed_settings_name_the_setting(environ, setting):
    with pytest.raises(ConfigError) as caught:
        load_settings(environ)
    assert str(caught.value).startswith(setting)
    assert "\n" not in str(caught.value)


def test_database_path_that_is_a_directory(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH"):
        load_settings({"DATABASE_PATH": str(tmp_path)})


def test_values_are_read():
    settings = load_settings(
        {
            "DISCORD_TOKEN": TOKEN,
            "DATABASE_PATH": "x/y.db",
            "LOG_LEVEL": "debug",
            "DISCORD_API_BASE": "http://127.0.0.1:9/api/v10/",
        }
    )
    assert settings.require_token() == TOKEN
    assert settings.database_path == Path("x/y.db")
    assert settings.log_level == "DEBUG"
    assert settings.discord_api_base == "http://127.0.0.1:9/api/v10"


def test_the_token_can_come_from_a_secrets_file(tmp_path):
    secret = tmp_path / "discord-token"
    secret.write_text(f"  {TOKEN}\n\n", encoding="utf-8")  # as editors and `echo` leave it
    settings = load_settings({"DISCORD_TOKEN_FILE": str(secret)})
    assert settings.require_token() == TOKEN
    assert TOKEN not in repr(settings)


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (None, r"^DISCORD_TOKEN_FILE names .*missing, which cannot be read \(No such file or directory\)\.$"),
        ("   \n", r"^DISCORD_TOKEN_FILE names .*missing, which is empty\.$"),
        ("not a token", r"^DISCORD_TOKEN_FILE is malformed"),
    ],
)
def test_an_unusable_token_file_is_one_sentence(tmp_path, content, sentence):
    secret = tmp_path / "missing"
    if content is not None:
        secret.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=sentence):
        load_settings({"DISCORD_TOKEN_FILE": str(secret)})


def test_token_and_token_file_together_are_refused(tmp_path):
    secret = tmp_path / "discord-token"
    secret.write_text(TOKEN, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^DISCORD_TOKEN and DISCORD_TOKEN_FILE are both set: keep one"):
        load_settings({"DISCORD_TOKEN": TOKEN, "DISCORD_TOKEN_FILE": str(secret)})
    # An empty DISCORD_TOKEN= (as copied from .env.example) is not set.
    assert load_settings({"DISCORD_TOKEN": "", "DISCORD_TOKEN_FILE": str(secret)}).discord_token == TOKEN


def test_database_url_picks_the_backend(tmp_path: Path):
    postgres = load_settings({"DATABASE_URL": "postgresql://bot@db.example/consultation"})
    assert postgres.database_target == "postgresql://bot@db.example/consultation"
    sqlite = load_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert sqlite.database_url is None and sqlite.database_path == tmp_path / "x.sqlite3"
    assert load_settings({}).database_target == f"sqlite:///{DEFAULT_DATABASE_PATH}"
    with pytest.raises(ConfigError, match=r"^DATABASE_URL must be sqlite:///.* not 'mysql'\.$"):
        load_settings({"DATABASE_URL": "mysql://db.example/x"})
