"""Who a container runs as, with the links that decided it: shared by HG206 and HG215."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hullguard.imageref import try_parse_image_ref
from hullguard.model import Location
from hullguard.predicates import has_unresolved_variable, is_root_user, nonroot_default_user
from hullguard.spec import ContainerSpec


class UserState(enum.Enum):
    ROOT = "root"
    NON_ROOT = "non-root"
    NOT_SET = "not set"  # nothing written and nothing resolved: the image's default applies
    UNRESOLVED = "unresolved"  # written with a variable that is not known here


@dataclass(frozen=True, slots=True)
class ContainerUser:
    """`how` explains the verdict for a message: `user \\`0:0\\`` or the chain of links."""

    state: UserState
    at: Location
    how: str
    chain: tuple[str, ...]


def container_user(spec: ContainerSpec) -> ContainerUser:
    """The user the container runs as.

    `runAsNonRoot: true` settles it: the kubelet refuses to start a container whose user is
    root. Otherwise the resolved `effective_user` (the image and Dockerfile taken into account)
    wins, then the written `user`, then the default of an image known to run as non-root
    (`data/nonroot_images.toml`). A finding about a user written in the runtime configuration
    points at it; one about a user that comes from the image points at the container.
    """
    if spec.run_as_non_root is not None and spec.run_as_non_root.value is True:
        loc = spec.run_as_non_root.location
        return ContainerUser(UserState.NON_ROOT, loc, "runAsNonRoot: true", ())
    written = spec.user if spec.user is not None and spec.user.value.strip() else None
    at = written.location if written is not None else spec.anchor
    if spec.effective_user is not None and spec.effective_user != written:
        value = spec.effective_user.value.strip()
        chain = spec.user_chain or (f"user `{value}`",)
        return ContainerUser(_state(value), at, " → ".join(chain), chain)
    if written is not None:
        value = written.value.strip()
        how = f"user `{value}`"
        chain = spec.user_chain or (f"{spec.resource} sets {how}",)
        return ContainerUser(_state(value), at, how, chain)
    ref = try_parse_image_ref(spec.image.value) if spec.image is not None else None
    known = nonroot_default_user(ref) if ref is not None else None
    if spec.image is not None and known is not None:
        how = f"image `{spec.image.value}` defaults to user {known[0]} ({known[1]})"
        return ContainerUser(_state(known[0]), at, how, (how,))
    image = f"`{spec.image.value}`" if spec.image is not None else "the image"
    how = f"no user is set, so {image} decides"
    return ContainerUser(UserState.NOT_SET, at, how, ())


def _state(value: str) -> UserState:
    if has_unresolved_variable(value):
        return UserState.UNRESOLVED
    return UserState.ROOT if is_root_user(value) else UserState.NON_ROOT
