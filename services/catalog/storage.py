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
from pathlib import Path

from pasar import config


def store_kind() -> str:
    kind = (config.setting("CATALOG_MEDIA_STORE", "local") or "local").strip().lower()
    if kind not in ("local", "s3"):
        raise ValueError(f"CATALOG_MEDIA_STORE must be local or s3, not {kind!r}")
    return kind


def is_safe_key(key: str) -> bool:
    """A key media.py could have made: relative, no way out of its folder, a JPEG."""
    return bool(key) and ".." not in key and not key.startswith("/") and "\\" not in key and key.endswith(".jpg")


class LocalStore:
    """PASAR_VAR_DIR/media: one machine, or a volume every catalog pod mounts."""

    @property
    def root(self) -> Path:
        root = config.var_dir() / "media"
        root.mkdir(parents=True, exist_ok=True)
        return root

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes() if self.exists(key) else None
        except OSError:
            return None

    def exists(self, key: str) -> bool:
        try:
            return is_safe_key(key) and (self.root / key).is_file()
        except (OSError, ValueError):  # a name the file system cannot even look up
            return False

    def delete(self, key: str) -> None:
        (self.root / key).unlink(missing_ok=True)


class S3Store:
    """An S3-compatible bucket through boto3 (the bucket is made by the operator, not by the app)."""

    def __init__(self):
        import boto3
        from botocore.config import Config
        self.bucket = config.setting("S3_BUCKET") or ""
        if not self.bucket:
            raise ValueError("CATALOG_MEDIA_STORE=s3 needs S3_BUCKET")
        self.prefix = config.setting("S3_PREFIX", "media/") or ""
        self.client = boto3.client(
            "s3", endpoint_url=config.setting("S3_ENDPOINT_URL") or None,
            region_name=config.setting("S3_REGION", "us-east-1"),
            config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": config.setting("S3_ADDRESSING_STYLE", "path")}))

    def _name(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType="image/jpeg",
                               CacheControl="public, max-age=31536000, immutable")

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError
        if not is_safe_key(key):
            return None
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError
        if not is_safe_key(key):
            return False
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._name(key))
            return True
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return False
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))  # no error for a missing key


@cache
def _store(kind: str, bucket: str | None, endpoint: str | None):
    return S3Store() if kind == "s3" else LocalStore()


def store() -> LocalStore | S3Store:
    """The configured store (one client per process and setting)."""
    return _store(store_kind(), config.setting("S3_BUCKET"), config.setting("S3_ENDPOINT_URL"))
