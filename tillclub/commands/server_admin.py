"""``tillclub server create-admin EMAIL``: create a head-office user of the web UI.

The password comes from an interactive prompt (asked twice, not echoed) or, for scripts, from
the first line of standard input (``--password-stdin``, or whenever stdin is not a terminal);
never from the command line, where it would land in the shell history and ``ps``. The lead
attaches :data:`create_admin` to the ``tillclub server`` group, so it reads the same
``--config`` file and ``TILLCLUB_SERVER_*`` variables as the server.
"""

from __future__ import annotations

import sys
from typing import Any

import click

ROLES = ("admin", "marketing", "store_manager", "auditor")


def _config(ctx: click.Context) -> dict[str, Any]:
    from server.config import ConfigError, check_secrets, load_config

    obj = ctx.find_object(dict) or {}
    try:
        config = load_config(obj.get("config_path"))
        check_secrets(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return config


def _password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
        return password
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@click.command("create-admin")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice(ROLES),
    default="admin",
    show_default=True,
    help="What the user may do.",
)
@click.option("--name", default="", help="Display name (default: the e-mail).")
@click.option(
    "--store", "stores", multiple=True, help="A store a store_manager may see (repeat for several)."
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
@click.pass_context
def create_admin(
    ctx: click.Context,
    email: str,
    role: str,
    name: str,
    stores: tuple[str, ...],
    password_stdin: bool,
) -> None:
    """Create a head-office user EMAIL for the web UI (/admin), with a role.

    \b
    Examples:
      tillclub server --config server.toml create-admin ana@loja.com.br
      printf '%s\\n' "$PW" | tillclub server create-admin ger@loja.com.br \\
          --role store_manager --store LOJA-01
    """
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.orm import sessionmaker

    from server import clock
    from server.db import make_engine
    from server.services.admin_accounts import AccountError
    from server.services.admin_accounts import create_admin as create
    from server.services.uow import SqlUnitOfWork

    config = _config(ctx)
    password = _password(password_stdin)
    engine = make_engine(config["DATABASE_URL"])
    try:
        user = create(
            SqlUnitOfWork(sessionmaker(engine, expire_on_commit=False)),
            email,
            password,
            role=role,
            name=name,
            store_ids=stores,
            actor="cli",
            now=clock.now(),
        )
        user_id = user.id
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise click.ClickException(
            "the database is not initialised: run 'tillclub server init-db' first"
        ) from None
    finally:
        engine.dispose()
    click.echo(f"created admin user {user_id} <{email.strip().lower()}> with role {role}")


command = create_admin


@click.command("set-admin-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input.",
)
@click.pass_context
def set_admin_password(ctx: click.Context, email: str, password_stdin: bool) -> None:
    """Give head-office user EMAIL a new password; every session of theirs ends.

    \b
    Example:
      printf '%s\\n' "$PW" | tillclub server set-admin-password ana@loja.com.br
    """
    from sqlalchemy import select
    from sqlalchemy.exc import OperationalError, ProgrammingError
    from sqlalchemy.orm import sessionmaker

    from server import clock
    from server.db import make_engine
    from server.models import AdminUser
    from server.services.admin_accounts import AccountError, set_password
    from server.services.uow import SqlUnitOfWork

    config = _config(ctx)
    password = _password(password_stdin)
    engine = make_engine(config["DATABASE_URL"])
    wanted = email.strip().lower()
    try:
        uow = SqlUnitOfWork(sessionmaker(engine, expire_on_commit=False))
        with uow.reading() as s:
            user_id = s.scalar(select(AdminUser.id).where(AdminUser.email == wanted))
        if user_id is None:
            raise click.ClickException(f"no admin user {wanted!r}")
        ended = set_password(uow, user_id, password, actor="cli", now=clock.now())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    except (OperationalError, ProgrammingError):
        raise click.ClickException(
            "the database is not initialised: run 'tillclub server init-db' first"
        ) from None
    finally:
        engine.dispose()
    click.echo(f"password of <{wanted}> changed; {ended} session(s) ended")
