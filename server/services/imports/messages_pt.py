# ruff: noqa: E501  (one entry per line reads best for translators)
"""The importer's pt-BR messages: English text (the key, as written in the code) -> pt-BR.

They reach the operator in the error file's ``motivo`` column, the dry run and the CLI.
"""

from __future__ import annotations

from ...i18n import Messages

PT_BR: dict[str, str] = {
    "cannot read {path}: {error}": "não foi possível ler {path}: {error}",
    "the file is empty (no header line)": "o arquivo está vazio (sem linha de cabeçalho)",
    "column {name} appears twice in the header": "a coluna {name} aparece duas vezes no cabeçalho",
    "the file has no column {column} (see docs/import.md)": "o arquivo não tem a coluna {column} (veja docs/import.md)",
    "{column} is empty": "{column} está vazio",
    "CPF {cpf} is not valid": "CPF {cpf} inválido",
    "{column}: {value} is not a date (dd/mm/aaaa)": "{column}: {value} não é uma data (dd/mm/aaaa)",
    "{column}: {value} is in the future": "{column}: {value} está no futuro",
    "{column}: {value} is before the balance's date": "{column}: {value} é anterior à data do saldo",
    "{column}: {value} is not an amount": "{column}: {value} não é um valor",
    "{column}: {value} is not a whole number of points": "{column}: {value} não é um número inteiro de pontos",
    "{column}: {value} is not a quantity": "{column}: {value} não é uma quantidade",
    "telefone: {value} is not a phone number": "telefone: {value} não é um telefone",
    "email: {value} is not an e-mail address": "email: {value} não é um e-mail",
    "{column}: {value} is not sim or não": "{column}: {value} não é sim ou não",
    "{column}: longer than {limit} characters": "{column}: mais de {limit} caracteres",
    "store {store} does not exist (create it first)": "a loja {store} não existe (cadastre-a antes)",
    "card {card}: wrong check digit": "cartão {card}: dígito verificador errado",
    "card {card} is not a card number": "cartão {card} não é um número de cartão",
    "card {card}: 11 digits are read as a CPF at the till": "cartão {card}: 11 dígitos são lidos como CPF no caixa",
    "card {card} has no card prefix the chain declares": "cartão {card} não tem um prefixo de cartão declarado pela rede",
    "card {card} belongs to another member ({member})": "o cartão {card} pertence a outro cliente ({member})",
    "the external id, CPF and card of this row belong to different members ({members})": "o id externo, o CPF e o cartão desta linha pertencem a clientes diferentes ({members})",
    "external id {ext} was already imported with other data (member {member})": "o id externo {ext} já foi importado com outros dados (cliente {member})",
    "a member with this CPF already exists (member {member})": "já existe um cliente com este CPF (cliente {member})",
    "a member with this card already exists (member {member})": "já existe um cliente com este cartão (cliente {member})",
    "no member with {key}": "nenhum cliente com {key}",
    "status: {value} is not ativo, bloqueado or substituido": "status: {value} não é ativo, bloqueado ou substituido",
    "moeda: {value} is not pontos or cashback": "moeda: {value} não é pontos ou cashback",
    "valor: {value} must be more than zero": "valor: {value} deve ser maior que zero",
    "valor: {value}": "valor: {value}",
    "tier {tier} is not on the chain's tier ladder": "o nível {tier} não existe na escada de níveis da rede",
    "subtotal {subtotal} minus desconto {discount} is not total {total}": "subtotal {subtotal} menos desconto {discount} não é o total {total}",
    "the lines add up to {lines}, not subtotal {subtotal}": "os itens somam {lines}, não o subtotal {subtotal}",
}

MESSAGES = Messages("import", PT_BR)
