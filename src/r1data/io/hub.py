"""``r1data publish DIR REPO_ID``: push a run's (or a mix's) dataset to the Hugging Face Hub.

What goes up is the dataset and its card only: ``README.md`` and ``data/**`` — never ``work/``,
``logs/``, ``quarantine/``, caches or the report. Refused before anything is sent: a folder whose
funnel does not add up, a card whose metadata does not validate (the Hub's own YAML check) or whose
license is unknown. The token comes from ``HF_TOKEN`` or the login cache (``huggingface_hub``) and is
never printed; any message that passes through here has it masked. Sets over ``LARGE_FOLDER_BYTES``
go through ``upload_large_folder`` (resumable, several commits); smaller ones are one commit (which
``--create-pr`` needs). Shards an earlier upload left under ``data/`` are deleted (a rerun with other
shard names would otherwise publish both).
"""

from __future__ import annotations

import fnmatch
import json
import os
import re

ALLOW = ["README.md", "data/**"]
LARGE_FOLDER_BYTES = 5 * 2**30


class PublishError(ValueError):
    pass


def published_files(output_dir: str) -> list[str]:
    """The files that would be uploaded, relative to ``output_dir``."""
    out = []
    for root, dirs, files in os.walk(output_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), output_dir).replace(os.sep, "/")
            if any(fnmatch.fnmatch(rel, p) for p in ALLOW) and "/_" not in "/" + rel and ".tmp-" not in rel:
                out.append(rel)
    return sorted(out)


def check_folder(output_dir: str) -> dict:
    """The folder's stats, once it is fit to publish; else :class:`PublishError` with why."""
    stats_path = os.path.join(output_dir, "stats.json")
    if not os.path.exists(stats_path) or not os.path.exists(os.path.join(output_dir, "README.md")):
        raise PublishError(
            f"{output_dir} has no stats.json/README.md: not a finished `r1data run` or `r1data mix`"
        )
    with open(stats_path) as f:
        stats = json.load(f)
    from r1data.core.funnel import funnel_problems

    problems = funnel_problems(stats.get("funnel") or {})
    data_files = [p for p in published_files(output_dir) if p.startswith("data/")]
    if not data_files:
        problems.append("no data/ shards")
    if problems:
        raise PublishError(
            f"refusing to publish {output_dir}: the funnel does not add up: " + "; ".join(problems)
        )
    from huggingface_hub import DatasetCard

    try:
        card = DatasetCard.load(os.path.join(output_dir, "README.md"))
    except Exception as exc:  # unparsable front matter
        raise PublishError(f"refusing to publish: the card's metadata does not validate: {exc}") from None
    license_ = (card.data.to_dict() or {}).get("license")
    if not license_ or (license_ in ("unknown", "other") and not card.data.to_dict().get("license_name")):
        raise PublishError(
            "refusing to publish: the card's license is unknown (set `card: {license: …}` in the recipe; "
            "r1data cannot know the license of your sources)"
        )
    return stats


def _validate_card(api, card_path: str, token: str) -> None:
    """The Hub's own check of the card's YAML metadata (``/api/validate-yaml`` on the chosen endpoint:
    ``RepoCard.validate`` would ask the default endpoint)."""
    from huggingface_hub.utils import get_session, hf_raise_for_status

    with open(card_path, encoding="utf-8") as f:
        body = {"repoType": "dataset", "content": f.read()}
    response = get_session().post(
        f"{api.endpoint}/api/validate-yaml", json=body, headers={"Accept": "text/plain"}
    )
    if response.status_code == 400:
        raise PublishError(
            f"refusing to publish: the card's metadata does not validate: {_mask(response.text, token)}"
        )
    try:
        hf_raise_for_status(response)
    except Exception as exc:
        raise PublishError(f"card validation at {api.endpoint} failed: {_mask(str(exc), token)}") from None


def _remote_files(api, repo_id: str, revision: str | None) -> list[str]:
    return api.list_repo_files(repo_id, repo_type="dataset", revision=revision)


def _mask(text: str, token: str | None) -> str:
    return text.replace(token, "***") if token else text


def publish(
    output_dir: str,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    create_pr: bool = False,
    dry_run: bool = False,
    endpoint: str | None = None,
    commit_message: str | None = None,
) -> dict:
    """Upload; returns ``{"url", "files", "sizes", "commit"}`` (``dry_run``: the files and their sizes,
    nothing sent). The card goes up with its load snippet naming ``repo_id``."""
    check_repo_id(repo_id)
    stats = check_folder(output_dir)
    files = published_files(output_dir)
    sizes = {p: os.path.getsize(os.path.join(output_dir, p)) for p in files}
    if dry_run:
        return {"url": None, "files": files, "sizes": sizes, "commit": None}
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        raise PublishError("HF_HUB_OFFLINE is set: publishing needs the Hub (unset it, or use --dry-run)")
    from huggingface_hub import HfApi, get_token

    token = get_token()
    if not token:
        raise PublishError("no Hugging Face token: set HF_TOKEN or run `hf auth login`")
    api = HfApi(endpoint=endpoint, token=token)
    endpoint = api.endpoint
    _validate_card(api, os.path.join(output_dir, "README.md"), token)
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo_id, repo_type="dataset", branch=revision, exist_ok=True)
        size = sum(sizes.values())
        card = card_for_repo(os.path.join(output_dir, "README.md"), repo_id)
        message = (
            commit_message
            or f"r1data: {stats.get('recipe') or stats.get('mix')} ({stats.get('fingerprint')})"
        )
        if size > LARGE_FOLDER_BYTES and not create_pr:
            # shards of an earlier upload that this one does not have would be loaded with it
            stale = [
                f for f in _remote_files(api, repo_id, revision) if f.startswith("data/") and f not in files
            ]
            if stale:
                from huggingface_hub import CommitOperationDelete

                api.create_commit(repo_id, [CommitOperationDelete(f) for f in stale], repo_type="dataset",
                                  revision=revision, commit_message="r1data: remove shards of an earlier upload")  # fmt: skip
            data = [p for p in files if p != "README.md"]
            api.upload_large_folder(repo_id=repo_id, folder_path=output_dir, repo_type="dataset",
                                    revision=revision, private=private, allow_patterns=data)  # fmt: skip
            api.upload_file(path_or_fileobj=card, path_in_repo="README.md", repo_id=repo_id, repo_type="dataset",
                            revision=revision, commit_message=message)  # fmt: skip
            commit = None
        else:
            from huggingface_hub import CommitOperationAdd, CommitOperationDelete

            operations = [CommitOperationAdd("README.md", card)]
            operations += [
                CommitOperationAdd(p, os.path.join(output_dir, p)) for p in files if p != "README.md"
            ]
            operations += [  # shards of an earlier upload that this one does not have
                CommitOperationDelete(f)
                for f in _remote_files(api, repo_id, revision)
                if f.startswith("data/") and f not in files
            ]
            info = api.create_commit(repo_id, operations, repo_type="dataset", revision=revision,
                                     commit_message=message, create_pr=create_pr)  # fmt: skip
            commit = getattr(info, "pr_url", None) or getattr(info, "commit_url", None) or str(info)
    except Exception as exc:  # huggingface_hub's errors: shown without the token
        raise PublishError(
            f"upload to {endpoint} failed: {_mask(f'{type(exc).__name__}: {exc}', token)}"
        ) from None
    url = f"{endpoint.rstrip('/')}/datasets/{repo_id}" + (f"/tree/{revision}" if revision else "")
    return {"url": url, "files": files, "sizes": sizes, "commit": commit}


_NAME = re.compile(r"^(?!.*(?:--|\.\.))[A-Za-z0-9](?:[\w.-]{0,94}[A-Za-z0-9])?$")


def check_repo_id(repo_id: str) -> None:
    """A dataset repo id the Hub accepts, written ``ORG/NAME``: each part letters, digits, ``-``, ``_``
    and ``.``, at most 96 characters, starting and ending with a letter or digit, no ``--`` or ``..``.

    >>> check_repo_id("my-org/r1-math.v2")
    >>> check_repo_id("notarepoid")
    Traceback (most recent call last):
    ...
    r1data.io.hub.PublishError: repo id 'notarepoid' is not ORG/NAME (e.g. my-org/r1-math; each part: letters, digits, '-', '_', '.', at most 96 characters)
    """
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(_NAME.match(p) for p in parts):
        raise PublishError(
            f"repo id {repo_id!r} is not ORG/NAME (e.g. my-org/r1-math; each part: letters, digits, '-', '_', "
            "'.', at most 96 characters)"
        )


_LOAD = re.compile(r"""load_dataset\((["'])[^"']*\1""")


def card_for_repo(card_path: str, repo_id: str) -> bytes:
    """The card as it goes up: its load snippets name the repo id instead of the local folder."""
    with open(card_path, encoding="utf-8") as f:
        text = f.read()
    return _LOAD.sub(f'load_dataset("{repo_id}"', text).encode("utf-8")
