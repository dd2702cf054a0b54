"""The images a docker stack runs: present, pulled once, or built (the demo exporter).

An exporter image promdash built carries a digest of its build context, so it
is rebuilt when the exporter's source changes; the image it replaces is removed
once nothing uses it.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import docker
import docker.errors
import requests
from docker.utils import parse_repository_tag

from promdash.errors import RuntimeUnavailable
from promdash.stack.docker_specs import (
    LABEL_CONTEXT_HASH,
    LABEL_MANAGED,
    ContainerSpec,
    exporter_build_context,
)
from promdash.stack.model import Stack
from promdash.stack.runtime import Progress


def short_error(exc: BaseException) -> str:
    """An engine error's explanation on one line of at most 200 characters."""
    explanation = getattr(exc, "explanation", None) or str(exc)
    return " ".join(str(explanation).split())[:200]


class Images:
    def __init__(self, client: Any) -> None:
        self.client = client
        # Exporter images this process replaced by a rebuild, removed once unused.
        self._superseded: list[str] = []

    def image_id(self, image: str) -> str | None:
        try:
            return str(self.client.images.get(image).id)
        except docker.errors.ImageNotFound:
            return None

    def ensure(
        self, stack: Stack, specs: Sequence[ContainerSpec], progress: Progress
    ) -> dict[str, str]:
        """Image ID of every image the specs use: present, pulled once, or built (the exporter).

        Images to pull come first: a missing one fails fast, before a build.
        """
        build_dir = stack.base_dir / stack.exporters.build
        built = stack.exporters.image if (build_dir / "Dockerfile").is_file() else None
        ids: dict[str, str] = {}
        for spec in sorted(specs, key=lambda s: s.image == built):
            if spec.image in ids:
                continue
            if spec.image == built:
                ids[spec.image] = self._ensure_built(spec.image, build_dir, progress)
                continue
            image_id = self.image_id(spec.image)
            if image_id is None:
                image_id = self._pull(spec, progress)
            ids[spec.image] = image_id
        return ids

    def _pull(self, spec: ContainerSpec, progress: Progress) -> str:
        progress(f"{spec.service}: pulling {spec.image}")
        repository, tag = parse_repository_tag(spec.image)
        try:
            self.client.images.pull(repository, tag=tag or "latest")
        except (docker.errors.DockerException, requests.RequestException) as exc:
            ways = [f"run `docker pull {spec.image}`", f"build an image tagged {spec.image}"]
            if spec.service in ("grafana", "alertmanager"):
                ways.append(f"leave it out with `--without {spec.service}`")
            raise RuntimeUnavailable(
                f"image {spec.image} (for {spec.service}) is not here and could not be pulled "
                f"({short_error(exc)}): {', '.join(ways[:-1])} or {ways[-1]}"
            ) from None
        image_id = self.image_id(spec.image)
        if image_id is None:
            raise RuntimeUnavailable(f"image {spec.image} is still missing after `docker pull`")
        return image_id

    def _ensure_built(self, image: str, build_dir: Path, progress: Progress) -> str:
        """The exporter image: built from the stack's Dockerfile when missing or out of date.

        Only images promdash built itself (they carry its context-hash label) are
        rebuilt when the exporter source changes; an image someone else made
        under that name is used as it is.
        """
        context, context_hash = exporter_build_context(build_dir)
        try:
            current = self.client.images.get(image)
        except docker.errors.ImageNotFound:
            current = None
        if current is not None:
            built_hash = (current.labels or {}).get(LABEL_CONTEXT_HASH)
            if built_hash in (None, context_hash):
                return str(current.id)
            progress(f"{image}: exporter source changed, rebuilding")
            self._superseded.append(str(current.id))
        else:
            progress(f"{image}: building from {build_dir} (first use)")
        started = time.monotonic()
        image_id: str | None = None
        try:
            for chunk in self.client.api.build(
                fileobj=io.BytesIO(context),
                custom_context=True,
                tag=image,
                rm=True,
                forcerm=True,
                decode=True,
                labels={LABEL_MANAGED: "true", LABEL_CONTEXT_HASH: context_hash},
            ):
                if "error" in chunk:
                    detail = " ".join(str(chunk["error"]).split())
                    raise RuntimeUnavailable(f"building {image} from {build_dir} failed: {detail}")
                if "aux" in chunk and "ID" in chunk["aux"]:
                    image_id = str(chunk["aux"]["ID"])
                for line in str(chunk.get("stream", "")).splitlines():
                    line = line.strip()
                    if line and not line.startswith(("--->", "Removing intermediate")):
                        progress(f"{image}: {line}")
        except (docker.errors.DockerException, requests.RequestException) as exc:
            raise RuntimeUnavailable(
                f"building {image} from {build_dir} failed: {short_error(exc)}"
            ) from None
        image_id = image_id or self.image_id(image)
        if image_id is None:
            raise RuntimeUnavailable(f"building {image} from {build_dir} produced no image")
        progress(f"{image}: built in {time.monotonic() - started:.1f}s")
        return image_id

    def remove_superseded(self) -> None:
        # Each rebuild would otherwise leave a dangling image behind.
        while self._superseded:
            with contextlib.suppress(docker.errors.APIError):  # still used, or already gone
                self.client.images.remove(self._superseded.pop())
