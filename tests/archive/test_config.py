"""archive.config: errors name the file, line and key; honest defaults; environment overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archive import config
from archive.errors import ConfigError, UnknownAthleteError

REPO = Path(__file__).resolve().parents[2]


def roster(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "athletes.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_there_are_249_country_and_183_language_codes() -> None:
    assert (
        len(config.COUNTRY_CODES) == 249 and {"NL", "JP", "US", "SS", "CW"} <= config.COUNTRY_CODES
    )
    assert len(config.LANGUAGE_CODES) == 183 and {"nl", "ja", "zh", "nb"} <= config.LANGUAGE_CODES
    assert all(re.fullmatch("[A-Z]{2}", c) for c in config.COUNTRY_CODES)
    assert all(re.fullmatch("[a-z]{2}", c) for c in config.LANGUAGE_CODES)


@pytest.mark.parametrize("country", ["XX", "NLD", "Netherlands", "UK", "1"])
def test_a_country_outside_iso_3166_names_file_line_and_key(tmp_path: Path, country: str) -> None:
    path = roster(
        tmp_path,
        '[[athlete]]\nslug = "a"\nname = "A"\ncountry = "NL"\n\n'
        f'[[athlete]]\nslug = "b"\nname = "B"\nsport = "luge"\ncountry = "{country}"\n',
    )
    with pytest.raises(ConfigError) as caught:
        config.load_roster(path)
    assert str(caught.value) == (
        f"{path}, line 10, key 'athlete[2].country': '{country}' is not an ISO 3166-1 alpha-2 "
        "country code (two letters, e.g. NL, JP, US)"
    )


def test_a_country_in_lower_case_is_accepted_upper_cased(tmp_path: Path) -> None:
    path = roster(tmp_path, '[[athlete]]\nslug = "a"\nname = "A"\ncountry = "nl"\n')
    assert config.load_roster(path).athletes[0].country == "NL"


@pytest.mark.parametrize("path", [REPO / "config" / "athletes.toml", REPO / "demo" / "roster.toml"])
def test_the_shipped_rosters_have_valid_countries(path: Path) -> None:
    assert all(a.country in config.COUNTRY_CODES for a in config.load_roster(path).athletes)


def test_an_athlete_key_error_points_at_the_key_not_only_its_table(tmp_path: Path) -> None:
    path = roster(tmp_path, '[[athlete]]\nslug = "Not Kebab"\nname = "A"\n')
    with pytest.raises(ConfigError, match=r", line 2, key 'athlete\[1\].slug'"):
        config.load_roster(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[crawl]\nbatch_size = = 3\n", "podium.toml, line 2, column 14: Invalid value"),
        ('[crawl]\nuser_agent = "open\n', "podium.toml, line 2, column 19: Illegal character"),
        ('[crawl]\nuser_agent = """never closed\n', "podium.toml: Unterminated string at the end"),
        ("[crawl]\n[crawl]\n", "podium.toml, line 2, column 7: Cannot declare"),
    ],
)
def test_toml_syntax_errors_read_file_line_column(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "podium.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        config.load(tmp_path, environ={})
    message = str(caught.value)
    assert expected in message
    assert "at at" not in message and "(at " not in message and "\n" not in message


def test_base_url_in_podium_toml_is_read(tmp_path: Path) -> None:
    (tmp_path / "podium.toml").write_text(
        '[platform.bluesky]\nbase_url = "http://127.0.0.1:9/bsky/"\n'
    )
    settings = config.load(tmp_path, environ={})
    assert settings.platform("bluesky").base_url == "http://127.0.0.1:9/bsky"
    overridden = config.load(tmp_path, environ={"PODIUM_BLUESKY_BASE_URL": "http://127.0.0.1:8"})
    assert overridden.platform("bluesky").base_url == "http://127.0.0.1:8"


def test_the_default_user_agent_invents_no_address() -> None:
    ua = config.load(REPO / "config", environ={}).crawl.user_agent
    assert ua == config.DEFAULT_USER_AGENT
    assert ua.startswith("Podium/") and "PODIUM_USER_AGENT" in ua
    assert "http" not in ua and "@" not in ua  # no made-up contact
    mine = "Podium/0.1 (archive of X; +https://example.edu/podium)"
    assert config.load(environ={"PODIUM_USER_AGENT": mine}).crawl.user_agent == mine


def test_the_config_files_say_how_an_operator_adds_a_contact() -> None:
    env = (REPO / "config" / "example.env").read_text(encoding="utf-8")
    toml = (REPO / "config" / "podium.toml").read_text(encoding="utf-8")
    assert config.DEFAULT_USER_AGENT in env and "PODIUM_USER_AGENT=" in env
    assert "PODIUM_USER_AGENT" in toml and "user_agent" in toml
    assert "podium-archive" not in env + toml


def test_an_unknown_slug_names_the_closest_ones_on_the_roster() -> None:
    roster = config.Roster((config.AthleteConfig("lotte-van-dijk", "Lotte van Dijk"),))
    assert roster.require_athlete("lotte-van-dijk", "athletes.toml").name == "Lotte van Dijk"
    with pytest.raises(UnknownAthleteError) as info:
        roster.require_athlete("lotte-van-dyk", "athletes.toml")
    assert (
        str(info.value)
        == "no athlete 'lotte-van-dyk' in athletes.toml; did you mean lotte-van-dijk?"
    )
    with pytest.raises(UnknownAthleteError) as info:
        config.Roster().require_athlete("anyone", "athletes.toml")
    assert str(info.value) == "no athlete 'anyone' in athletes.toml"
