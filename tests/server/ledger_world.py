"""A generated ledger for the expiry job's scale and fault tests and its benchmark.

Per member m (0-based), ten entries k (0..9), made by ``INSERT … SELECT FROM generate_series``
on PostgreSQL (no Python per row): four points earnings (the first expires before ``NOW``), two
redemptions naming lots, three cashback credits (the first expired by ``NOW``, the second
matured, the third still pending) and a cashback redemption; two sales per member for the
tier review. Timestamps are naive UTC (the TZDateTime storage), amounts integer hundredths.
"""

from __future__ import annotations

import datetime as dt
import json

import psycopg

BASE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NOW = BASE + dt.timedelta(days=130)

# Per member m (0-based), entry k (0..9); seq = m * 10 + k + 1; timestamps are naive UTC (the
# TZDateTime storage); amounts are integer hundredths (the Cents storage).
_LEDGER = """
INSERT INTO ledger_entries (entry_id, member_id, currency, kind, amount, effective_at,
    available_at, expires_at, sale_id, rule_id, store_id, terminal_id, reverses, reason,
    event_id, recorded_at, change_seq)
SELECT 'E:LOJA-01:PDV-01:' || lpad((m * 10 + k + 1)::text, 12, '0'),
    'M' || lpad(m::text, 8, '0'),
    CASE WHEN k < 6 THEN 'points' ELSE 'cashback' END,
    CASE WHEN k IN (4, 5, 9) THEN 'redeem' ELSE 'earn' END,
    CASE k WHEN 4 THEN -5000 WHEN 5 THEN -3000 WHEN 9 THEN -200
        WHEN 6 THEN 500 WHEN 7 THEN 500 WHEN 8 THEN 500 ELSE 10000 END,
    eff, CASE WHEN k BETWEEN 6 AND 8 THEN eff + interval '30 days' END,
    CASE WHEN k = 0 THEN eff + interval '100 days'
         WHEN k BETWEEN 1 AND 3 THEN eff + interval '365 days'
         WHEN k BETWEEN 6 AND 8 THEN eff + interval '120 days'
         WHEN k = 4 THEN lot0 + interval '100 days'
         WHEN k = 5 THEN lot0 + interval '405 days'
         WHEN k = 9 THEN lot0 + interval '120 days' END,
    NULL, NULL, 'LOJA-01', 'PDV-01',
    CASE k WHEN 4 THEN 'E:LOJA-01:PDV-01:' || lpad((m * 10 + 1)::text, 12, '0')
           WHEN 5 THEN 'E:LOJA-01:PDV-01:' || lpad((m * 10 + 2)::text, 12, '0')
           WHEN 9 THEN 'E:LOJA-01:PDV-01:' || lpad((m * 10 + 7)::text, 12, '0') END,
    NULL, NULL, timestamp '2026-01-01', m * 10 + k + 1
FROM generate_series(%(lo)s::bigint, %(hi)s::bigint) AS m,
     generate_series(0, 9) AS k,
     LATERAL (SELECT timestamp '2026-01-01' + (m %% 30) * interval '1 day' AS lot0) l,
     LATERAL (SELECT lot0 + CASE k WHEN 0 THEN interval '0 days' WHEN 1 THEN interval '40 days'
        WHEN 2 THEN interval '60 days' WHEN 3 THEN interval '80 days'
        WHEN 4 THEN interval '10 days' WHEN 5 THEN interval '50 days'
        WHEN 6 THEN interval '0 days' WHEN 7 THEN interval '40 days'
        WHEN 8 THEN interval '100 days' ELSE interval '35 days' END AS eff) e
"""
_MEMBERS = """
INSERT INTO members (id, name, consent_terms, consent_marketing, active, created_at,
    updated_at, change_seq)
SELECT 'M' || lpad(m::text, 8, '0'), 'Cliente ' || m, true, false, true,
    timestamp '2026-01-01', timestamp '2026-01-01', %(seq0)s + m
FROM generate_series(0, %(n)s::bigint - 1) AS m
"""
_SALES = """
INSERT INTO sales (sale_id, event_id, store_id, terminal_id, member_id, occurred_at, currency,
    subtotal, discount_total, total, reprice_status, recorded_at)
SELECT 'S:LOJA-01:PDV-01:' || lpad((m * 2 + j + 1)::text, 12, '0'),
    'V:LOJA-01:PDV-01:' || lpad((m * 2 + j + 1)::text, 12, '0'), 'LOJA-01', 'PDV-01',
    'M' || lpad(m::text, 8, '0'), timestamp '2026-01-01' + ((m + j * 7) %% 120) * interval '1 day',
    'BRL', (m %% 400) * 1000 + 990, 0, (m %% 400) * 1000 + 990, 'not_checked',
    timestamp '2026-01-01'
FROM generate_series(0, %(n)s::bigint - 1) AS m, generate_series(0, 1) AS j
"""


def load(dsn: str, members: int, *, ledger: bool = True) -> None:
    """The members, their sales and the tier ladder; their ledger entries unless ``ledger`` is
    false (the tier review reads no ledger)."""
    with psycopg.connect(dsn) as conn:
        step = 50_000
        for lo in range(0, members if ledger else 0, step):
            conn.execute(_LEDGER, {"lo": lo, "hi": min(lo + step, members) - 1})
            conn.commit()
        seq0 = members * 10 + 1
        conn.execute(_MEMBERS, {"seq0": seq0, "n": members})
        conn.execute(_SALES, {"n": members})
        conn.execute("UPDATE change_counter SET value = %s", (seq0 + members,))
        conn.execute(
            "INSERT INTO chain_settings (key, value, updated_at) VALUES ('tiers', %s, now())",
            (
                json.dumps(
                    {
                        "window_months": 12,
                        "review_every_months": 1,
                        "tiers": [
                            {"name": "classic", "threshold": "0"},
                            {"name": "gold", "threshold": "4000.00"},
                        ],
                    }
                ),
            ),
        )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
