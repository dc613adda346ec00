"""The synthetic world generator: determinism, contract schema, archetypes, dirt, volumes."""

from __future__ import annotations

import ipaddress
import unicodedata
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from sybil.generate import ARCHETYPES, ASN_CLASSES, TABLES, generate_world, write_world
from sybil.synth import pools

N = 3000
UTC = pl.Datetime("us", "UTC")
SCHEMA: dict[str, dict[str, pl.DataType]] = {
    "signups": {
        "account_id": pl.String(), "created_at": UTC, "email": pl.String(), "name": pl.String(),
        "phone": pl.String(), "country": pl.String(), "ip": pl.String(),
        "user_agent": pl.String(), "device_id": pl.String(),
    },
    "payments": {
        "payment_id": pl.String(), "account_id": pl.String(), "created_at": UTC,
        "method": pl.String(), "card_fingerprint": pl.String(), "card_bin": pl.String(),
        "card_country": pl.String(), "billing_name": pl.String(),
        "billing_postal": pl.String(), "amount_usd": pl.Float64(), "status": pl.String(),
    },
    "sessions": {
        "account_id": pl.String(), "ts": UTC, "ip": pl.String(), "asn": pl.Int64(),
        "user_agent": pl.String(), "device_id": pl.String(), "tls_fingerprint": pl.String(),
    },
    "api_usage": {
        "account_id": pl.String(), "hour": UTC, "model": pl.String(), "requests": pl.Int64(),
        "input_tokens": pl.Int64(), "output_tokens": pl.Int64(), "prompt_hash": pl.String(),
    },
    "allowlist": {"account_id": pl.String()},
    "truth": {"account_id": pl.String(), "farm_id": pl.String(), "archetype": pl.String()},
}  # fmt: skip


@pytest.fixture(scope="module")
def dirty() -> dict[str, pl.DataFrame]:
    return generate_world(N, seed=7, dirty_rate=0.01)


@pytest.fixture(scope="module")
def clean() -> dict[str, pl.DataFrame]:
    return generate_world(N, seed=7, dirty_rate=0.0)


def _valid_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _with_truth(world: dict[str, pl.DataFrame], table: str) -> pl.DataFrame:
    return world[table].join(world["truth"], on="account_id", how="inner")


def test_same_seed_gives_identical_frames(dirty: dict[str, pl.DataFrame]) -> None:
    again = generate_world(N, seed=7, dirty_rate=0.01)
    for name in TABLES:
        assert again[name].equals(dirty[name]), name


def test_different_seed_gives_a_different_world(dirty: dict[str, pl.DataFrame]) -> None:
    other = generate_world(N, seed=8, dirty_rate=0.01)
    assert not other["signups"].equals(dirty["signups"])
    assert not other["sessions"].equals(dirty["sessions"])


def test_write_world_is_byte_identical_and_counts_rows(tmp_path: Path) -> None:
    first = write_world(tmp_path / "a" / "nested", 1000, seed=3)
    second = write_world(tmp_path / "b", 1000, seed=3)
    assert first == second
    assert set(first) == set(TABLES)
    for name in TABLES:
        a = (tmp_path / "a" / "nested" / f"{name}.parquet").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.parquet").read_bytes(), name
        assert pl.read_parquet(tmp_path / "b" / f"{name}.parquet").height == first[name]


def test_tables_have_exactly_the_contract_columns(dirty: dict[str, pl.DataFrame]) -> None:
    assert list(dirty) == list(TABLES)
    for name, schema in SCHEMA.items():
        assert dict(dirty[name].schema) == schema, name


def test_every_archetype_is_present(clean: dict[str, pl.DataFrame]) -> None:
    assert set(clean["truth"]["archetype"]) == set(ARCHETYPES)


@pytest.mark.parametrize("n", [500, 5000])
def test_every_archetype_is_present_in_small_worlds(n: int) -> None:
    truth = generate_world(n, seed=2, dirty_rate=0.0)["truth"]
    assert set(truth["archetype"]) == set(ARCHETYPES)


def test_farm_share_and_ids(clean: dict[str, pl.DataFrame]) -> None:
    truth = clean["truth"]
    farm = truth.filter(pl.col("archetype").str.starts_with("farm_"))
    assert 0.17 <= farm.height / truth.height <= 0.23
    assert farm["farm_id"].null_count() == 0
    assert farm["farm_id"].str.contains(r"^farm_\d{4}$").all()
    assert truth.filter(pl.col("archetype").str.starts_with("benign_"))["farm_id"].null_count() == (
        truth.height - farm.height
    )
    # each farm has one style
    assert farm.group_by("farm_id").agg(pl.col("archetype").n_unique())["archetype"].max() == 1


def test_farm_count_scales_with_world_size() -> None:
    truth = generate_world(20_000, seed=1, dirty_rate=0.0)["truth"]
    assert 12 <= truth["farm_id"].n_unique() - 1 <= 40


def test_truth_covers_every_valid_account(
    clean: dict[str, pl.DataFrame], dirty: dict[str, pl.DataFrame]
) -> None:
    truth = clean["truth"]
    assert truth["account_id"].is_unique().all()
    assert set(truth["account_id"]) == set(clean["signups"]["account_id"])
    # dirt only adds rows: the dirty world's truth is the clean world's truth
    assert dirty["truth"].equals(truth)
    assert set(truth["account_id"]) <= set(dirty["signups"]["account_id"].drop_nulls())


def test_account_ids_are_shuffled_relative_to_groups(clean: dict[str, pl.DataFrame]) -> None:
    truth = clean["truth"].sort("account_id")
    assert truth["account_id"].str.contains(r"^acc_\d{7}$").all()
    changes = (truth["archetype"] != truth["archetype"].shift(1)).sum()
    assert changes > truth.height / 3


def test_volumes_per_account(clean: dict[str, pl.DataFrame]) -> None:
    n = clean["truth"].height
    assert 9 <= clean["sessions"].height / n <= 16
    assert 10 <= clean["api_usage"].height / n <= 20
    assert 1.8 <= clean["payments"].height / n <= 4.5
    paying = clean["payments"]["account_id"].n_unique() / n
    assert 0.2 <= paying <= 0.6  # many free accounts have no payment at all


def test_timestamps_follow_the_world_calendar(clean: dict[str, pl.DataFrame]) -> None:
    created = clean["signups"]["created_at"]
    assert created.min().isoformat()[:7] == "2026-07"  # type: ignore[union-attr]
    assert created.max().date().isoformat() <= "2026-10-31"  # type: ignore[union-attr]
    first = clean["signups"].select("account_id", "created_at")
    late = (
        clean["sessions"].join(first, on="account_id").filter(pl.col("ts") < pl.col("created_at"))
    )
    assert late.height == 0
    hours = clean["api_usage"]["hour"]
    assert (hours.dt.truncate("1h") == hours).all()


def test_session_ips_are_valid_and_match_their_asn(clean: dict[str, pl.DataFrame]) -> None:
    pairs = clean["sessions"].select("ip", "asn").unique()
    assert all(_valid_ip(ip) for ip in pairs["ip"])
    canonical = pairs.with_columns(
        pl.Series([str(ipaddress.ip_address(ip)) for ip in pairs["ip"]]).alias("ip")
    )
    assert canonical.group_by("ip").agg(pl.col("asn").n_unique())["asn"].max() == 1
    assert set(pairs["asn"]) <= set(ASN_CLASSES)
    v6 = pairs.filter(pl.col("ip").str.contains(":")).height / pairs.height
    assert 0.05 <= v6 <= 0.3


@pytest.mark.parametrize(
    ("archetype", "kinds"),
    [
        ("farm_burst", {"datacenter"}),
        ("farm_sms", {"mobile"}),
        ("farm_proxy", {"residential"}),
        ("farm_alias", {"residential", "vpn"}),
        ("farm_noid", {"datacenter"}),
        ("farm_nonet", {"residential"}),
        ("farm_nopay", {"vpn"}),
        ("farm_notime", {"residential", "mobile"}),
        ("farm_nobehaviour", {"residential"}),
        ("farm_org", {"business", "residential", "datacenter"}),
        ("benign_batch", {"business", "residential", "datacenter"}),
        ("benign_vpn", {"vpn", "residential"}),
        ("benign_campus", {"education", "residential"}),
    ],
)
def test_session_asn_class_fits_the_archetype(
    clean: dict[str, pl.DataFrame], archetype: str, kinds: set[str]
) -> None:
    rows = _with_truth(clean, "sessions").filter(pl.col("archetype") == archetype)
    assert rows.height > 0
    assert {ASN_CLASSES[a] for a in rows["asn"].unique()} <= kinds


def test_cgnat_and_vpn_ips_are_shared_by_many_strangers(clean: dict[str, pl.DataFrame]) -> None:
    rows = clean["sessions"].with_columns(
        pl.col("asn").replace_strict(ASN_CLASSES, default=None).alias("cls")
    )
    per_ip = rows.group_by("cls", "ip").agg(pl.col("account_id").n_unique().alias("n"))
    mean = dict(per_ip.group_by("cls").agg(pl.col("n").mean()).iter_rows())
    assert mean["mobile"] > 20
    assert mean["vpn"] > 20
    assert mean["residential"] < 3


def test_farm_styles_share_their_documented_traces(clean: dict[str, pl.DataFrame]) -> None:
    signups = _with_truth(clean, "signups")
    payments = _with_truth(clean, "payments")

    def per_account(frame: pl.DataFrame, style: str, key: str) -> float:
        rows = frame.filter(pl.col("archetype") == style).drop_nulls(key)
        return rows["account_id"].n_unique() / rows[key].n_unique()

    burst = signups.filter(pl.col("archetype") == "farm_burst")
    span = burst.group_by("farm_id").agg(pl.col("created_at").max() - pl.col("created_at").min())
    assert span["created_at"].max() <= timedelta(hours=3, minutes=30)  # type: ignore[operator]
    assert per_account(signups, "farm_burst", "ip") > 10  # a few datacenter IPs
    assert per_account(signups, "farm_proxy", "ip") < 1.2  # fresh residential IP each time
    assert per_account(signups, "farm_proxy", "device_id") == 1  # fresh device each time
    assert per_account(payments, "farm_proxy", "card_fingerprint") >= 3
    assert per_account(signups, "farm_proxy", "phone") >= 4
    assert per_account(signups, "farm_sms", "device_id") > 5  # a few emulators rotated
    mailbox = (
        pl.col("email")
        .str.strip_chars()
        .str.to_lowercase()
        .str.extract(r"^([^@+]*)", 1)
        .str.replace_all(".", "", literal=True)
    )
    alias = signups.filter(pl.col("archetype") == "farm_alias")
    assert alias["email"].str.to_lowercase().str.contains(r"@(gmail|googlemail)\.com").all()
    assert alias.height / alias.select(mailbox)["email"].n_unique() > 5


def test_lookalike_benign_groups_share_infrastructure(clean: dict[str, pl.DataFrame]) -> None:
    payments = _with_truth(clean, "payments")
    team_cards = payments.filter(pl.col("archetype") == "benign_team").drop_nulls(
        "card_fingerprint"
    )
    assert team_cards["account_id"].n_unique() / team_cards["card_fingerprint"].n_unique() > 3
    labs = _with_truth(clean, "sessions").filter(pl.col("archetype") == "benign_campus")
    per_device = (
        labs.drop_nulls("device_id").group_by("device_id").agg(pl.col("account_id").n_unique())
    )
    assert per_device["account_id"].max() >= 10  # shared lab machines


# --- adversarial styles: each evades one signal family entirely -----------------------------


@pytest.fixture(scope="module")
def adversarial() -> dict[str, pl.DataFrame]:
    """A world large enough for a farm or two of each adversarial style."""
    return generate_world(20_000, seed=5, dirty_rate=0.0)


def _style(world: dict[str, pl.DataFrame], table: str, archetype: str) -> pl.DataFrame:
    rows = _with_truth(world, table).filter(pl.col("archetype") == archetype)
    assert rows.height > 0, (table, archetype)
    return rows


def _most_accounts_sharing(rows: pl.DataFrame, key: str) -> int:
    """The most accounts of one farm that share one value of `key`."""
    shared = (
        rows.drop_nulls(key)
        .group_by("farm_id", key)
        .agg(pl.col("account_id").n_unique().alias("accounts"))
    )
    assert shared.height > 0, key
    return int(shared["accounts"].max())  # type: ignore[arg-type]


def _domain() -> pl.Expr:
    email = pl.col("email").str.strip_chars().str.to_lowercase()
    return email.str.extract(r"@(.+)$", 1).replace({"googlemail.com": "gmail.com"})


def _mailbox() -> pl.Expr:
    """Lowercase, +tag dropped, gmail dots ignored."""
    local = pl.col("email").str.strip_chars().str.to_lowercase().str.extract(r"^([^@+]*)", 1)
    local = (
        pl.when(_domain() == "gmail.com")
        .then(local.str.replace_all(".", "", literal=True))
        .otherwise(local)
    )
    return pl.concat_str([local, _domain()], separator="@")


def _fold(name: str | None) -> str | None:
    """Case, accents and spacing folded away."""
    if name is None:
        return None
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def _ratio_per_account(api: pl.DataFrame, by: str) -> pl.DataFrame:
    """Median over accounts of output/input tokens, per `by`."""
    return (
        api.group_by(by, "account_id")
        .agg(ratio=pl.col("output_tokens").sum() / pl.col("input_tokens").sum())
        .group_by(by)
        .agg(pl.col("ratio").median())
    )


_FREE_MAIL = {domain for country in pools.COUNTRIES for domain, _ in country.mails}
_DISPOSABLE = set(pools.DISPOSABLE_DOMAINS + pools.OBSCURE_DISPOSABLE_DOMAINS)


def test_farm_noid_shares_no_identity(adversarial: dict[str, pl.DataFrame]) -> None:
    signups = _style(adversarial, "signups", "farm_noid").with_columns(
        mailbox=_mailbox(),
        domain=_domain(),
        phone_digits=pl.col("phone").str.replace_all(r"\D", "").str.slice(-9),  # national number
        folded=pl.col("name").map_elements(_fold, return_dtype=pl.String),
    )
    for key in ("mailbox", "phone_digits", "folded"):
        assert _most_accounts_sharing(signups, key) == 1, key
    assert set(signups["domain"]) <= _FREE_MAIL  # no throwaway or private domains


def test_farm_nonet_shares_no_network(adversarial: dict[str, pl.DataFrame]) -> None:
    cols = ["account_id", "farm_id", "ip", "device_id"]
    sessions = _style(adversarial, "sessions", "farm_nonet")
    seen = pl.concat([_style(adversarial, "signups", "farm_nonet").select(cols), sessions[cols]])
    canonical, prefix = {}, {}
    for text in seen["ip"].drop_nulls().unique():
        ip = ipaddress.ip_address(text)
        canonical[text] = str(ip)
        prefix[text] = str(ipaddress.ip_network(f"{ip}/{24 if ip.version == 4 else 64}", False))
    seen = seen.with_columns(
        pl.col("ip").replace_strict(canonical).alias("address"),
        pl.col("ip").replace_strict(prefix).alias("prefix"),
    )
    for key in ("address", "prefix", "device_id"):
        assert _most_accounts_sharing(seen, key) == 1, key
    assert {ASN_CLASSES[a] for a in sessions["asn"].unique()} == {"residential"}
    # ordinary browsers: every user agent and TLS fingerprint is common among benign accounts
    benign = _with_truth(adversarial, "sessions").filter(pl.col("farm_id").is_null())
    for key in ("user_agent", "tls_fingerprint"):
        users = benign.group_by(key).agg(pl.col("account_id").n_unique().alias("users"))
        mine = sessions.select(key).unique().join(users, on=key, how="left")
        assert mine["users"].fill_null(0).min() >= 50, key  # type: ignore[operator]


def test_farm_nopay_never_pays(adversarial: dict[str, pl.DataFrame]) -> None:
    _style(adversarial, "signups", "farm_nopay")
    payments = _with_truth(adversarial, "payments")
    assert payments.filter(pl.col("archetype") == "farm_nopay").height == 0


def test_farm_notime_keeps_human_hours(adversarial: dict[str, pl.DataFrame]) -> None:
    signups = _style(adversarial, "signups", "farm_notime")
    gaps = (
        signups.sort("created_at")
        .group_by("farm_id")
        .agg(
            gap=pl.col("created_at").diff().dt.total_seconds().drop_nulls(),
            span=pl.col("created_at").max() - pl.col("created_at").min(),
        )
        .with_columns(cv=pl.col("gap").list.std() / pl.col("gap").list.mean())
    )
    assert (gaps["cv"] >= 0.8).all()  # no burst, no regular cadence
    assert (gaps["span"] >= timedelta(days=14)).all()  # type: ignore[operator]
    active = pl.concat(
        [
            signups.select("farm_id", t="created_at"),
            _style(adversarial, "sessions", "farm_notime").select("farm_id", t="ts"),
            _style(adversarial, "api_usage", "farm_notime").select("farm_id", t="hour"),
        ]
    )
    for hours in active.group_by("farm_id").agg(pl.col("t").dt.hour().unique())["t"]:
        busy = set(hours)
        quiet = run = 0
        for h in list(range(24)) * 2:  # the longest run of silent UTC hours, around midnight too
            run = 0 if h in busy else run + 1
            quiet = max(quiet, run)
        assert quiet >= 6  # the operator's night


def test_farm_nobehaviour_shares_no_behaviour(adversarial: dict[str, pl.DataFrame]) -> None:
    farm = _style(adversarial, "api_usage", "farm_nobehaviour")
    assert _most_accounts_sharing(farm, "prompt_hash") == 1
    assert (_ratio_per_account(farm, "farm_id")["ratio"] < 2).all()
    assert set(farm["model"]) == set(pools.MODELS)


def test_farm_org_looks_like_a_company(adversarial: dict[str, pl.DataFrame]) -> None:
    signups = _style(adversarial, "signups", "farm_org").with_columns(domain=_domain())
    domains = signups.group_by("farm_id").agg(pl.col("domain").unique())["domain"]
    assert all(len(d) == 1 for d in domains)  # one organisation domain per farm
    mine = set(signups["domain"])
    assert not mine & (_FREE_MAIL | _DISPOSABLE)
    others = _with_truth(adversarial, "signups").filter(pl.col("archetype") != "farm_org")
    assert not mine & set(others.select(_domain())["email"])
    assert signups.select(_mailbox())["email"].is_unique().all()
    payments = _style(adversarial, "payments", "farm_org")
    assert (payments["status"] == "succeeded").all()
    assert not set(payments["card_bin"]) & set(pools.PREPAID_BINS)
    # what betrays it: signups by script within hours, distillation output
    span = signups.group_by("farm_id").agg(pl.col("created_at").max() - pl.col("created_at").min())
    assert span["created_at"].max() <= timedelta(hours=12)  # type: ignore[operator]
    ratio = _ratio_per_account(_style(adversarial, "api_usage", "farm_org"), "farm_id")
    assert (ratio["ratio"] > 2).all()


def test_benign_batch_extracts_on_one_shared_template(
    adversarial: dict[str, pl.DataFrame],
) -> None:
    signups = _style(adversarial, "signups", "benign_batch").select("account_id", company=_domain())
    api = adversarial["api_usage"].join(signups, on="account_id")
    assert (_ratio_per_account(api, "company")["ratio"] < 1).all()  # long inputs, short outputs
    widest = (
        api.group_by("company", "prompt_hash")
        .agg(pl.col("account_id").n_unique().alias("accounts"))
        .group_by("company")
        .agg(pl.col("accounts").max())
        .join(signups.group_by("company").len(), on="company")
    )
    assert widest.height == signups["company"].n_unique()
    assert (widest["accounts"] == widest["len"]).all()  # one template shared by the whole group


def test_event_registration_desks_look_scripted(adversarial: dict[str, pl.DataFrame]) -> None:
    """A desk laptop signs attendees up every few minutes, as regularly as a script would."""
    events = _with_truth(adversarial, "signups").filter(pl.col("archetype") == "benign_event")
    desks = (
        events.drop_nulls("device_id")
        .sort("created_at")
        .group_by("device_id")
        .agg(pl.len().alias("n"), pl.col("created_at").diff().dt.total_seconds().alias("gap"))
        .filter(pl.col("n") >= 10)
        .with_columns(cv=pl.col("gap").list.std() / pl.col("gap").list.mean())
    )
    assert desks.height > 0
    assert (desks["cv"] < 0.5).all()
    assert (desks["gap"].list.mean() < 300).all()


def test_dirty_rows_present_at_the_requested_rate(
    dirty: dict[str, pl.DataFrame], clean: dict[str, pl.DataFrame]
) -> None:
    # dirt is only added, so the same seed without dirt gives the clean baseline
    for name in ("signups", "sessions", "payments", "api_usage"):
        added = dirty[name].height - clean[name].height
        assert added == max(1, round(0.01 * clean[name].height)), name
    signups = dirty["signups"]
    assert signups["account_id"].null_count() > 0
    assert signups.drop_nulls("account_id")["account_id"].is_duplicated().any()
    assert signups["created_at"].null_count() > 0
    assert (~signups["email"].str.contains("@")).any()
    assert not all(_valid_ip(ip) for ip in signups["ip"].drop_nulls())
    sessions = dirty["sessions"]
    assert not all(_valid_ip(ip) for ip in sessions["ip"].unique())
    assert sessions["ts"].null_count() > 0
    known = set(signups["account_id"].drop_nulls())
    assert not set(sessions["account_id"].drop_nulls()) <= known
    amount = dirty["payments"]["amount_usd"]
    assert (amount < 0).any()
    assert amount.is_nan().any()
    assert dirty["payments"]["payment_id"].is_duplicated().any()
    assert (dirty["api_usage"]["input_tokens"] < 0).any()


def test_no_dirty_rows_when_rate_is_zero(clean: dict[str, pl.DataFrame]) -> None:
    signups = clean["signups"]
    assert signups["account_id"].null_count() == 0
    assert signups["account_id"].is_unique().all()
    assert signups["created_at"].null_count() == 0
    assert signups["email"].str.contains("@").all()
    assert all(_valid_ip(ip) for ip in signups["ip"].drop_nulls())
    known = set(signups["account_id"])
    for name in ("sessions", "payments", "api_usage"):
        assert set(clean[name]["account_id"]) <= known, name
    payments = clean["payments"]
    assert payments["payment_id"].is_unique().all()
    assert (payments["amount_usd"] > 0).all()
    assert (clean["api_usage"]["input_tokens"] >= 0).all()
    assert clean["sessions"]["ts"].null_count() == 0
    keys = ["account_id", "hour", "model", "prompt_hash"]
    assert not clean["api_usage"].select(keys).is_duplicated().any()


def test_allowlist_is_verified_customers_plus_one_farm_account(
    clean: dict[str, pl.DataFrame],
) -> None:
    allow = clean["allowlist"].join(clean["truth"], on="account_id", how="left")
    assert allow["archetype"].null_count() == 0
    assert 0.005 <= allow.height / clean["truth"].height <= 0.02
    # one compromised account, plus the odd account of a farm posing as a verified company
    farms = allow.filter(pl.col("farm_id").is_not_null())
    assert farms.filter(pl.col("archetype") != "farm_org").height == 1
    top = allow["archetype"].value_counts(sort=True)["archetype"].head(2)
    assert set(top) == {"benign_team", "benign_power"}


@pytest.mark.parametrize(("n", "rate"), [(100, 0.001), (N, -0.1), (N, 0.7)])
def test_rejects_unusable_arguments(n: int, rate: float) -> None:
    with pytest.raises(ValueError, match=r"n_accounts|dirty_rate"):
        generate_world(n, dirty_rate=rate)
