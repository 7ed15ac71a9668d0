"""Loads config/*.toml and the environment into frozen dataclasses (the only os.environ reader)."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field
from pathlib import Path
from typing import Any

from archive.errors import ConfigError, UnknownAthleteError
from archive.records import PLATFORMS

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_DIR = PACKAGE_ROOT / "config"
DEFAULT_DATABASE_URL = "sqlite:///podium.db"

#: Where each platform really lives; config or environment points them elsewhere (tests, demo).
DEFAULT_BASE_URLS = {
    "tiktok": "https://www.tiktok.com",
    "instagram": "https://www.instagram.com",
    "bluesky": "https://public.api.bsky.app",
    "mastodon": "",  # each account's own instance, from its user@instance handle
    "youtube": "https://www.youtube.com",
    "x": "https://cdn.syndication.twimg.com",
    "news": "",
}
#: The spiders `podium crawl` can run (crawler/spiders/<name>.py), named, not sliced from
#: PLATFORMS: X has none (its posts arrive through the articles that embed them), news has one.
SPIDER_NAMES = ("tiktok", "instagram", "bluesky", "mastodon", "youtube", "news")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: What crawls send when the operator has not said who they are. It points to no made-up
#: address: an operator adds a real contact with PODIUM_USER_AGENT (config/example.env).
DEFAULT_USER_AGENT = (
    "Podium/0.1 (research archive; operator contact not set - set PODIUM_USER_AGENT)"
)

#: ISO 3166-1 alpha-2: the 249 officially assigned codes (a frozen list: pycountry is not a
#: dependency; the list changes every few years, e.g. SS in 2011, BQ/CW/SX in 2010).
COUNTRY_CODES = frozenset(
    """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ
    BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM
    DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS
    GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
    KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ
    MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM
    PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV
    SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
    VN VU WF WS YE YT ZA ZM ZW
    """.split()  # noqa: SIM905 - a block of codes reads better than 249 quoted strings
)

#: ISO 639-1: the 183 two-letter language codes (the normalizer stores these, or ``und``).
LANGUAGE_CODES = frozenset(
    """
    aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
    da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
    hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
    la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
    oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
    st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
    za zh zu
    """.split()  # noqa: SIM905 - a block of codes reads better than 249 quoted strings
)


@dataclass(frozen=True, slots=True)
class AccountConfig:
    """One account of a roster athlete: platform + handle (Mastodon ``user@instance``)."""

    platform: str
    handle: str


@dataclass(frozen=True, slots=True)
class AthleteConfig:
    """One athlete of the roster."""

    slug: str
    name: str
    sport: str | None = None
    country: str | None = None
    languages: tuple[str, ...] = ()
    accounts: tuple[AccountConfig, ...] = ()
    cadence_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class NewsSourceConfig:
    """A news site: its RSS/Atom feeds and news sitemaps."""

    slug: str
    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    cadence_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class Roster:
    """Everything config/athletes.toml says."""

    athletes: tuple[AthleteConfig, ...] = ()
    news: tuple[NewsSourceConfig, ...] = ()

    def athlete(self, slug: str) -> AthleteConfig | None:
        """The athlete with this slug, or None."""
        return next((a for a in self.athletes if a.slug == slug), None)

    def require_athlete(self, slug: str, where: str) -> AthleteConfig:
        """The athlete with this slug, or UnknownAthleteError naming the closest slugs on the
        roster (``where``: the roster file, for the message)."""
        found = self.athlete(slug)
        if found is None:
            raise unknown_athlete(slug, [a.slug for a in self.athletes], where)
        return found


def unknown_athlete(
    slug: str, known: Sequence[str], where: str, *, empty_hint: str = ""
) -> UnknownAthleteError:
    """The one way Podium says a slug names no athlete ``where`` (the archive, a roster file):
    the closest known slugs, or ``empty_hint`` when there are none at all."""
    close = difflib.get_close_matches(slug, known, n=3, cutoff=0.5)
    if close:
        hint = f"; did you mean {', '.join(close)}?"
    else:
        hint = f"; {empty_hint}" if empty_hint and not known else ""
    return UnknownAthleteError(f"no athlete '{slug}' in {where}{hint}")


@dataclass(frozen=True, slots=True)
class PlatformConfig:
    """Politeness and cadence for one platform (config/podium.toml ``[platform.<name>]``)."""

    name: str
    base_url: str
    cadence_minutes: float = 360.0
    download_delay: float = 2.0
    concurrency: int = 1
    autothrottle: bool = True
    retry_times: int = 4
    obey_robots: bool = False
    page_size: int = 30


@dataclass(frozen=True, slots=True)
class CrawlConfig:
    """How listings are read."""

    stop_after_known: int = 5
    batch_size: int = 200
    user_agent: str = DEFAULT_USER_AGENT
    timeout_seconds: float = 1800.0


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """The refresh cadence (config/podium.toml ``[scheduler]``)."""

    jitter_seconds: float = 60.0
    misfire_grace_seconds: float = 600.0
    full_sweep_every: int = 10
    backoff_max_minutes: float = 24 * 60.0
    adaptive: bool = True
    min_cadence_minutes: float = 30.0
    max_cadence_minutes: float = 24 * 60.0
    shutdown_wait_seconds: float = 60.0


@dataclass(frozen=True, slots=True)
class Settings:
    """All configuration, read once by ``load``."""

    config_dir: Path
    database_url: str
    roster_path: Path
    platforms: Mapping[str, PlatformConfig]
    crawl: CrawlConfig = field(default_factory=CrawlConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    debug: bool = False
    #: ``PODIUM_REDIS_URL``: crawling goes through scrapy-redis workers (``podium worker``).
    redis_url: str | None = None
    #: ``PODIUM_REDIS_PREFIX``: every Redis key of this archive starts with it.
    redis_prefix: str = "podium"

    def platform(self, name: str) -> PlatformConfig:
        """Politeness/cadence for a platform (defaults when the config is silent)."""
        return self.platforms.get(name) or PlatformConfig(name, DEFAULT_BASE_URLS.get(name, ""))

    def __repr__(self) -> str:
        # Settings end up in logs and tracebacks: their URLs are shown without passwords.
        from archive.db import safe_url

        shown = {
            k: safe_url(v) if k in ("database_url", "redis_url") and v else v
            for k, v in _asdict(self).items()
        }
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"


def _line_of(text: str, pattern: str, nth: int = 0) -> int | None:
    """1-based line of the nth match of a regex in a TOML text (tomllib gives no key positions)."""
    for i, m in enumerate(re.finditer(pattern, text, flags=re.MULTILINE)):
        if i == nth:
            return text.count("\n", 0, m.start()) + 1
    return None


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(_toml_message(path, str(exc))) from None


_TOML_AT = re.compile(
    r"^(?P<what>.*?) \(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)$"
)


def _toml_message(path: Path, message: str) -> str:
    """tomllib's 'Invalid value (at line 2, column 14)' as 'file, line 2, column 14: Invalid
    value', like the other config errors (file and line first)."""
    m = _TOML_AT.match(message)
    if m is None:
        return f"{path}: {message}"
    if m["line"] is None:
        return f"{path}: {m['what']} at the end of the file"
    return f"{path}, line {m['line']}, column {m['col']}: {m['what']}"


class _Where:
    """Builds 'file, line N, key K: problem' messages."""

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, key: str, problem: str, header: str | None = None, nth: int = 0) -> ConfigError:
        line = None
        if header is not None:
            line = _line_of(self.text, rf"^[ \t]*\[\[[ \t]*{re.escape(header)}[ \t]*\]\]", nth)
            if line is not None:
                line = self._key_in_block(line, key.split(".")[-1]) or line
        if line is None:
            line = _line_of(self.text, rf"^[ \t]*{re.escape(key.split('.')[-1])}[ \t]*=")
        where = f", line {line}" if line else ""
        return ConfigError(f"{self.path}{where}, key '{key}': {problem}")

    def _key_in_block(self, header_line: int, key: str) -> int | None:
        """The line of ``key =`` in the table that starts at ``header_line`` (before the next
        table header), so a message points at the value, not only at its ``[[table]]``."""
        lines = self.text.splitlines()
        pattern = re.compile(rf"^[ \t]*{re.escape(key)}[ \t]*=")
        for number in range(header_line, len(lines)):  # 0-based index of the next line
            text = lines[number]
            if re.match(r"^[ \t]*\[", text):
                return None
            if pattern.match(text):
                return number + 1
        return None


def _str(
    where: _Where,
    d: Mapping[str, Any],
    key: str,
    ctx: str,
    header: str,
    nth: int,
    *,
    required: bool = True,
) -> str | None:
    value = d.get(key)
    if value is None:
        if required:
            raise where.fail(f"{ctx}.{key}", "missing", header, nth)
        return None
    if not isinstance(value, str) or not value.strip():
        raise where.fail(f"{ctx}.{key}", "must be a non-empty string", header, nth)
    return value.strip()


def _cadence(where: _Where, d: Mapping[str, Any], ctx: str, header: str, nth: int) -> float | None:
    value = d.get("cadence_minutes")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise where.fail(f"{ctx}.cadence_minutes", "must be a positive number", header, nth)
    return float(value)


def _str_list(
    where: _Where, d: Mapping[str, Any], key: str, ctx: str, header: str, nth: int
) -> tuple[str, ...]:
    value = d.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise where.fail(f"{ctx}.{key}", "must be a list of strings", header, nth)
    return tuple(value)


def _country(where: _Where, d: Mapping[str, Any], ctx: str, nth: int) -> str | None:
    """An ISO 3166-1 alpha-2 code (``NL``, ``JP``); lower case is accepted and upper-cased."""
    value = _str(where, d, "country", ctx, "athlete", nth, required=False)
    if value is None:
        return None
    if value.upper() not in COUNTRY_CODES:
        raise where.fail(
            f"{ctx}.country",
            f"'{value}' is not an ISO 3166-1 alpha-2 country code (two letters, e.g. NL, JP, US)",
            "athlete",
            nth,
        )
    return value.upper()


def load_roster(path: Path) -> Roster:
    """Read and check a roster file (config/athletes.toml format)."""
    data, text = _read_toml(path)
    where = _Where(path, text)
    athletes: list[AthleteConfig] = []
    seen: set[str] = set()
    raw_athletes = data.get("athlete", [])
    if not isinstance(raw_athletes, list):
        raise where.fail("athlete", "must be an array of tables ([[athlete]])")
    account_n = 0
    for n, a in enumerate(raw_athletes):
        ctx = f"athlete[{n + 1}]"
        slug = _str(where, a, "slug", ctx, "athlete", n)
        assert slug is not None
        if not _SLUG.match(slug):
            raise where.fail(f"{ctx}.slug", f"'{slug}' is not lowercase kebab-case", "athlete", n)
        if slug in seen:
            raise where.fail(f"{ctx}.slug", f"'{slug}' appears twice", "athlete", n)
        seen.add(slug)
        name = _str(where, a, "name", ctx, "athlete", n)
        accounts = []
        raw_accounts = a.get("account", [])
        if not isinstance(raw_accounts, list):
            raise where.fail(f"{ctx}.account", "must be [[athlete.account]] tables", "athlete", n)
        for m, acc in enumerate(raw_accounts):
            actx = f"{ctx}.account[{m + 1}]"
            platform = _str(where, acc, "platform", actx, "athlete.account", account_n)
            handle = _str(where, acc, "handle", actx, "athlete.account", account_n)
            if platform not in PLATFORMS:
                raise where.fail(
                    f"{actx}.platform",
                    f"unknown platform '{platform}' (one of {', '.join(PLATFORMS)})",
                    "athlete.account",
                    account_n,
                )
            assert platform is not None
            assert handle is not None
            accounts.append(AccountConfig(platform, handle.lstrip("@")))
            account_n += 1
        athletes.append(
            AthleteConfig(
                slug=slug,
                name=name or slug,
                sport=_str(where, a, "sport", ctx, "athlete", n, required=False),
                country=_country(where, a, ctx, n),
                languages=_str_list(where, a, "languages", ctx, "athlete", n),
                accounts=tuple(accounts),
                cadence_minutes=_cadence(where, a, ctx, "athlete", n),
            )
        )
    news = []
    for n, s in enumerate(data.get("news", [])):
        ctx = f"news[{n + 1}]"
        slug = _str(where, s, "slug", ctx, "news", n)
        assert slug is not None
        news.append(
            NewsSourceConfig(
                slug=slug,
                name=_str(where, s, "name", ctx, "news", n, required=False) or slug,
                feeds=_str_list(where, s, "feeds", ctx, "news", n),
                sitemaps=_str_list(where, s, "sitemaps", ctx, "news", n),
                cadence_minutes=_cadence(where, s, ctx, "news", n),
            )
        )
    return Roster(tuple(athletes), tuple(news))


def _section(where: _Where, data: Mapping[str, Any], name: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise where.fail(name, "must be a table")
    return value


def _typed(where: _Where, section: str, values: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """Check each key of a TOML table against a dataclass's fields and types."""
    fields = {f.name: f for f in cls.__dataclass_fields__.values()}  # type: ignore[attr-defined]
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key not in fields or key == "name":
            raise where.fail(f"{section}.{key}", "unknown key")
        default = fields[key].default
        # A field without a default (PlatformConfig.base_url) is a string.
        expected = str if default is MISSING else type(default)
        ok = isinstance(value, expected) and not (expected is not bool and isinstance(value, bool))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value, ok = float(value), True
        if not ok:
            raise where.fail(f"{section}.{key}", f"must be {expected.__name__}, not {value!r}")
        out[key] = value
    return out


def load(
    config_dir: Path | str | None = None,
    *,
    database_url: str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Read config/podium.toml, the roster path and the environment once.

    Precedence: explicit argument > environment (``PODIUM_*``) > config/podium.toml > defaults.
    """
    env = os.environ if environ is None else environ
    cdir = Path(config_dir or env.get("PODIUM_CONFIG_DIR") or DEFAULT_CONFIG_DIR)
    path = cdir / "podium.toml"
    data: dict[str, Any] = {}
    where = _Where(path, "")
    if path.exists():
        data, text = _read_toml(path)
        where = _Where(path, text)
    platforms: dict[str, PlatformConfig] = {}
    ptable = _section(where, data, "platform")
    for name in (*PLATFORMS, "news"):
        values = _typed(where, f"platform.{name}", ptable.get(name, {}), PlatformConfig)
        env_base = env.get(f"PODIUM_{name.upper()}_BASE_URL")
        if env_base:
            values["base_url"] = env_base
        values.setdefault("base_url", DEFAULT_BASE_URLS[name])
        values["base_url"] = values["base_url"].rstrip("/")
        platforms[name] = PlatformConfig(name=name, **values)
    for name in ptable:
        if name not in platforms:
            raise where.fail(f"platform.{name}", "unknown platform")
    crawl = CrawlConfig(**_typed(where, "crawl", _section(where, data, "crawl"), CrawlConfig))
    if env.get("PODIUM_USER_AGENT"):
        crawl = CrawlConfig(**{**_asdict(crawl), "user_agent": env["PODIUM_USER_AGENT"]})
    sched = SchedulerConfig(
        **_typed(where, "scheduler", _section(where, data, "scheduler"), SchedulerConfig)
    )
    db_table = _section(where, data, "database")
    url = (
        database_url
        or env.get("PODIUM_DATABASE_URL")
        or db_table.get("url")
        or DEFAULT_DATABASE_URL
    )
    roster = Path(env.get("PODIUM_ROSTER") or cdir / "athletes.toml")
    url = absolute_sqlite_url(url)
    return Settings(
        config_dir=cdir,
        database_url=url,
        roster_path=roster,
        platforms=platforms,
        crawl=crawl,
        scheduler=sched,
        debug=env.get("PODIUM_DEBUG", "") not in ("", "0", "false"),
        redis_url=env.get("PODIUM_REDIS_URL") or None,
        redis_prefix=env.get("PODIUM_REDIS_PREFIX") or "podium",
    )


def absolute_sqlite_url(url: str) -> str:
    """A SQLite URL with a relative path made absolute (child crawls run elsewhere)."""
    prefix = next((p for p in ("sqlite:///", "sqlite+pysqlite:///") if url.startswith(p)), None)
    if prefix is None:
        return url
    path, _, query = url[len(prefix) :].partition("?")
    if not path or path == ":memory:" or path.startswith("/"):
        return url
    return f"{prefix}{Path(path).resolve()}" + (f"?{query}" if query else "")


def _asdict(obj: Any) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}
