"""Import files made up for tests and the benchmark: valid CPFs, cards and Brazilian cells."""

from __future__ import annotations

import random
from collections.abc import Iterator

from loyalty.identification import card_number

MEMBERS_HEADER = "id_externo;nome;cpf;email;telefone;nascimento;loja;cartao;consentimento_email\n"


def cpf_for(n: int) -> str:
    """A valid CPF (check digits right) for ``n`` (distinct for distinct n < 10**9)."""
    base = f"{n + 100_000_000:09d}"[-9:]
    if len(set(base)) == 1:
        base = base[:-1] + str((int(base[-1]) + 1) % 10)
    digits = [int(c) for c in base]
    for _ in range(2):
        weight = len(digits) + 1
        total = sum(d * (weight - i) for i, d in enumerate(digits))
        digits.append((total * 10 % 11) % 10)
    d = "".join(map(str, digits))
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}"


def member_line(n: int, store: str = "LOJA-01") -> str:
    return (
        f"M{n:07d};Cliente {n};{cpf_for(n)};c{n}@example.com;(11) 9{n % 10**8:08d};"
        f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1950 + n % 50};{store};{card_number(n + 1)};"
        f"{'sim' if n % 3 else 'não'}\n"
    )


def member_lines(count: int, bad_every: int = 0, seed: int = 1) -> Iterator[str]:
    """``count`` member rows; with ``bad_every``, about one in that many is broken."""
    rnd = random.Random(seed)
    for n in range(count):
        line = member_line(n)
        if bad_every and rnd.randrange(bad_every) == 0:
            line = line.replace("/19", "/x19", 1)  # a birth date that is no date
        yield line


def sales_lines(count: int, members: int, stores: tuple[str, ...] = ("LOJA-01",)) -> Iterator[str]:
    """``count`` sales of ``members`` members (header rows only, no lines)."""
    for n in range(count):
        m = n % members
        day = 1 + n % 28
        month = 1 + (n // 28) % 11
        cents = 500 + (n * 7919) % 50000
        yield (
            f"V{n:09d};M{m:07d};{stores[n % len(stores)]};{day:02d}/{month:02d}/2026;"
            f"{cents // 100},{cents % 100:02d}\n"
        )


SALES_HEADER = "id_externo;cliente_id_externo;loja;data;total\n"
