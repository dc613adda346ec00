"""The statements that build features.account_keys: which kinds go together."""

from pipelines.features.assets import kind_batches


def test_ip_kinds_are_built_in_one_statement_the_rest_alone():
    kinds = ["email", "ip", "device", "shared_ip", "prefix", "prompt"]
    assert kind_batches(kinds) == [
        ["email"],
        ["ip", "shared_ip", "prefix"],
        ["device"],
        ["prompt"],
    ]


def test_every_kind_is_built_once_whatever_the_order_or_subset():
    for kinds in (
        ["prefix", "email", "ip"],
        ["shared_ip"],
        [],
        ["card", "tls", "user_agent", "shared_ip", "prefix", "ip", "phone"],
    ):
        batches = kind_batches(kinds)
        assert sorted(k for b in batches for k in b) == sorted(kinds)
        ip = [k for k in kinds if k in {"ip", "shared_ip", "prefix"}]
        assert [b for b in batches if set(b) & set(ip)] == ([ip] if ip else [])
        assert [b for b in batches if not set(b) & set(ip)] == [[k] for k in kinds if k not in ip]
