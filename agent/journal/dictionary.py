"""The LZ4 dictionary the journal compresses its JSON with: the skeleton of what a sale writes.

A sale's answer, its outbox event and its ledger entries are JSON objects whose keys (and many
values: ``null``, ``"0.00"``, ``[]``, the id prefixes, the timestamp layout) are the same at
every sale. LZ4 on its own only finds a repeat inside the same row, so every row paid for its
first copy of each key; with this dictionary primed in front of the row, those become short
back-references (a sale's three rows: ~2,500 bytes stored instead of ~3,300 in the bench, a
ledger entry ~120 instead of ~270). Fewer bytes are fewer page splits and new pages, so fewer
WAL frames to write and fsync before the POS hears "recorded".

The bytes below are part of the journal's format: every row written with tag
:data:`agent.journal.answers.TAG_DICT_1` needs exactly them to be read back. Never edit
them; a better dictionary is a new constant with a new tag, and this one stays for reading.
It holds only field names and neutral placeholder values, no data of any till or shopper.
"""

from __future__ import annotations

_TS = b'"2026-01-01T12:00:00.000000+00:00"'

_LEDGER_ENTRY = (
    b'{"entry_id":"E:","member_id":"M","currency":"points","kind":"earn","amount":"0",'
    b'"effective_at":' + _TS + b',"available_at":null,"expires_at":' + _TS + b","
    b'"sale_id":"S:","rule_id":"","store_id":"","terminal_id":"","reverses":null,'
    b'"reason":null}'
)

_SALE_EVENT = (
    b'{"type":"sale","event_id":"V:","store_id":"","terminal_id":"","occurred_at":' + _TS + b","
    b'"member_context":{"tier":null,"segments":[],"activated_offers":[]},"sale_id":"S:",'
    b'"member_id":"M","currency":"BRL","subtotal":"0.00","discount_total":"0.00",'
    b'"total":"0.00","lines":[{"line_no":1,"sku":"789","category_id":"","quantity":"1",'
    b'"unit_price":"0.00","gross":"0.00","discount":"0.00","net":"0.00","brand":null,'
    b'"tags":[]}],"applied_rules":[],"voucher_codes":[],"ledger_entries":[' + _LEDGER_ENTRY + b"]}"
)

_VOUCHER_EVENT = (
    b'{"type":"voucher_use","event_id":"V:","store_id":"","terminal_id":"","occurred_at":'
    + _TS
    + b',"voucher_code":"","sale_id":"S:","member_id":"M"}'
)

_SALE_ANSWER = (
    b'{"status":"recorded","sale_id":"S:","occurred_at":' + _TS + b',"member_id":"M",'
    b'"pos_sale_id":"","subtotal":"0.00","discount":"0.00","total":"0.00","lines":['
    b'{"line_no":1,"sku":"789","name":null,"gross":"0.00","net":"0.00","discounts":[]}],'
    b'"applied":[],"vouchers":[],"coupons":[],"points_redeemed":0,"points_value":"0.00",'
    b'"cashback_redeemed":"0.00","amount_due":"0.00","points_earned":0,'
    b'"cashback_earned":"0.00","raffle_tickets":{},'
    b'"balance":{"points":0,"cashback":"0.00","cashback_pending":"0.00"}}'
)

# The most frequent rows last (LZ4 prefers nearer matches only in ties; order is cosmetic).
DICT_1 = _VOUCHER_EVENT + _SALE_EVENT + _LEDGER_ENTRY + _SALE_ANSWER
