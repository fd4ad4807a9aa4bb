"""Where the catalog's pictures are kept: a local folder (the single-machine default) or an S3-compatible
object store, so several catalog pods on several hosts serve the same photos.

CATALOG_MEDIA_STORE=local (default): files under PASAR_VAR_DIR/media/<key>.
CATALOG_MEDIA_STORE=s3: objects <S3_PREFIX><key> in S3_BUCKET at S3_ENDPOINT_URL (unset = AWS itself; any
S3-compatible store: MinIO, Ceph RGW, Garage, a cloud's object storage), region S3_REGION, credentials from
boto3's usual environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the pod's role).

Pictures are still served by the catalog's /api/v1/media/<key> route in both modes (read from the store and
sent with a year's immutable cache header), not by a redirect to a presigned URL: the picture URLs the API has
always handed out keep working, there is no redirect target to check, and the bucket stays private. The
bytes pass through a catalog pod; put a CDN or the ingress cache in front when that matters (keys never change
content). Keys are made by media.py, never taken from a client, and are checked again before any lookup."""
from __future__ import annotations

from functools import cache

from pasar import config
from pasar.storage import LocalStore, S3Store, is_safe_key  # noqa: F401  (the kernel's stores, named here too)


def store_kind() -> str:
    kind = (config.setting("CATALOG_MEDIA_STORE", "local") or "local").strip().lower()
    if kind not in ("local", "s3"):
        raise ValueError(f"CATALOG_MEDIA_STORE must be local or s3, not {kind!r}")
    return kind


@cache
def _store(kind: str, bucket: str | None, endpoint: str | None):
    return S3Store(prefix=config.setting("S3_PREFIX", "media/") or "") if kind == "s3" else LocalStore("media")


def store() -> LocalStore | S3Store:
    """The configured store (one client per process and setting)."""
    return _store(store_kind(), config.setting("S3_BUCKET"), config.setting("S3_ENDPOINT_URL"))
