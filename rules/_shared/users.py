"""Who a container runs as: root detection for a USER value, /etc/passwd lookups, the last USER.

Shared by the Dockerfile and image flavours of ``runs-as-root`` so that both agree on what
"root" means (``root``, ``0``, ``root:root``, ``0:0``, Windows ``ContainerAdministrator``).
"""

from __future__ import annotations

from pylint_image.linter import Dockerfile, Instruction

from .images import stage_chain
from .variables import expand, walk

ROOT_NAMES = frozenset({"root", "0", "containeradministrator"})


def user_part(user: str) -> str:
    """Return the user of a ``USER``/config value (``app`` of ``app:staff``), stripped."""
    return user.split(":", 1)[0].strip()


def is_root_name(user: str) -> bool:
    """True when the user part is root by name or uid 0 (``00`` too), without /etc/passwd."""
    name = user_part(user)
    if name.isdigit():
        return int(name) == 0  # the kernel sees the number: 00 and 0 are the same uid
    return name.lower() in ROOT_NAMES


def passwd_uid(passwd: str, name: str) -> int | None:
    """Return the uid of ``name`` in /etc/passwd text, or None when absent or malformed."""
    for line in passwd.splitlines():
        fields = line.split(":")
        # name:password:uid:gid:gecos:home:shell; the first matching line wins, as in libc.
        if len(fields) >= 3 and fields[0] == name:
            return int(fields[2]) if fields[2].isdigit() else None
    return None


def last_user(dockerfile: Dockerfile) -> tuple[Instruction, str] | None:
    """Return the effective last USER of the final stage (searching the stages it is built FROM).

    The value is expanded with the ARG/ENV scope at that instruction.
    """
    final = dockerfile.final_stage
    if final is None:
        return None
    for stage in stage_chain(dockerfile, final):
        users = [(i, expand(i.value_after_flags.strip(), scope)) for i, scope in walk(dockerfile, stage)
                 if i.keyword == "USER"]
        if users:
            return users[-1]
    return None
