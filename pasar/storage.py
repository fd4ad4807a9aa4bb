"""Where pictures are kept: a local folder (the single-machine default) or an S3-compatible object store, so
several pods on several hosts see the same files. The catalog keeps its listings' photos here, orders the
complaint photos (each with its own folder or key prefix).

The S3 store: objects <prefix><key> in S3_BUCKET at S3_ENDPOINT_URL (unset = AWS itself; any S3-compatible
store: MinIO, Ceph RGW, Garage, a cloud's object storage), region S3_REGION, credentials from boto3's usual
environment (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the pod's role). Keys are made by the app, never
taken from a client, and are checked again before any lookup."""
from __future__ import annotations

import os
from pathlib import Path

from . import config


def is_safe_key(key: str) -> bool:
    """A key media.py could have made: relative, no way out of its folder, a JPEG."""
    return bool(key) and ".." not in key and not key.startswith("/") and "\\" not in key and key.endswith(".jpg")


class LocalStore:
    """A folder (PASAR_VAR_DIR/<folder> unless `root` says where): one machine, or a volume every pod mounts."""

    def __init__(self, folder: str = "media", root: str | None = None):
        self._root = Path(root) if root else None
        self.folder = folder

    @property
    def root(self) -> Path:
        root = self._root or config.var_dir() / self.folder
        root.mkdir(parents=True, exist_ok=True)
        return root

    def put(self, key: str, data: bytes) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_bytes(data)
        os.replace(partial, path)  # readers never see half a file

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

    def __init__(self, prefix: str = "media/", cache_control: str = "public, max-age=31536000, immutable"):
        import boto3
        from botocore.config import Config
        self.bucket = config.setting("S3_BUCKET") or ""
        if not self.bucket:
            raise ValueError("an S3 store needs S3_BUCKET")
        self.prefix, self.cache_control = prefix, cache_control
        self.client = boto3.client(
            "s3", endpoint_url=config.setting("S3_ENDPOINT_URL") or None,
            region_name=config.setting("S3_REGION", "us-east-1"),
            config=Config(connect_timeout=3, read_timeout=10, retries={"max_attempts": 3, "mode": "standard"},
                          s3={"addressing_style": config.setting("S3_ADDRESSING_STYLE", "path")}))

    def _name(self, key: str) -> str:
        return self.prefix + key

    def put(self, key: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self._name(key), Body=data, ContentType="image/jpeg",
                               CacheControl=self.cache_control)

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
