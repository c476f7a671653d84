"""HG612: a GitHub action or reusable workflow referenced by a tag or branch, not a commit SHA."""

from __future__ import annotations

import re
from collections.abc import Iterator

from hullguard.model import Finding, Severity
from hullguard.registry import PIPELINE, Context, rule
from hullguard.sources.ci import Pipeline

_SHA = re.compile(r"^[0-9a-fA-F]{40}$")


@rule(
    id="HG612",
    name="action-not-pinned-to-sha",
    pillar=6,
    severity=Severity.MEDIUM,
    targets=(PIPELINE,),
    references=("cwe:829", "cwe:494"),
    fix="reference the action by its full 40-character commit SHA, with the tag in a comment "
    "(`uses: owner/action@<sha> # v4.2.0`), and let a dependency bot update it",
    options={"trusted_owners": []},
)
def action_not_pinned_to_sha(pipeline: Pipeline, ctx: Context) -> Iterator[Finding]:
    """
    ## What it does
    Flags a GitHub Actions `uses:` (a step's action, or a job's reusable workflow) whose ref
    after `@` is not a full 40-hex commit SHA: a tag (`@v4`), a branch (`@main`), a short SHA,
    or no ref at all. Local actions (`./...`) and container actions (`docker://...`) are
    not flagged: the first come from the same commit, the second are images that image rules
    cover.

    The actions of GitHub's own `actions/` and `github/` organisations are flagged as well:
    their tags are as movable as anyone's, and GitHub's own hardening guide recommends SHA
    pins for every action. Owners you accept by tag go in the option `trusted_owners`
    (for example `["actions", "github"]`).

    ## Why is this bad?
    A tag or branch can be moved to other code at any time, by the action's maintainers or by
    whoever compromises their account. The job then runs that code with its token, its
    secrets and its registry credentials, on the next run, without any change in this
    repository. Only a full commit SHA is immutable.

    ## Example
    ```yaml
    steps:
      - uses: actions/checkout@v4
      - uses: docker/login-action@v3
    ```
    Use instead:
    ```yaml
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: docker/login-action@9780b0c442fbb1117ed29e0efdff1e18412f7567 # v3.3.0
    ```

    ## How to fix
    Resolve each tag to its commit (`git ls-remote https://github.com/<owner>/<repo> <tag>`)
    and write the SHA, keeping the version in a comment so that Dependabot or Renovate can
    propose updates.
    """
    if pipeline.platform != "github":
        return
    trusted = {str(o).lower() for o in ctx.options.get("trusted_owners") or ()}
    for job in pipeline.jobs:
        for step in job.steps:
            if step.uses is None:
                continue
            uses = step.uses.value.strip()
            if uses.startswith(("./", "docker://")) or not uses:
                continue
            name, _, ref = uses.partition("@")
            if name.split("/", 1)[0].lower() in trusted or _SHA.match(ref):
                continue
            what = f"`{ref}`" if ref else "no ref"
            yield ctx.finding(
                at=step.uses,
                message=f"`{name}` is referenced by {what}, not a full commit SHA",
                resource=job.name,
            )
