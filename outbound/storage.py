"""Where copied recordings live: a local folder, or an S3-compatible object store in Russia.

One small interface, two backends. Keys are relative paths the service makes itself
(``2026/12/RE….mp3``); nothing here is reachable by URL: the staff application streams a
copy to a signed-in person through :meth:`Storage.open` (or :meth:`Storage.read`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

CHUNK_SIZE = 64 * 1024
KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*")
BACKENDS = ("local", "s3")


class StorageError(Exception):
    """The storage could not do what was asked; the message names no personal data."""


class MissingObject(StorageError):
    """No object is stored under the key."""


class StorageConfigError(StorageError):
    """The storage settings cannot be used; the message says which one."""


def check_key(key: str) -> str:
    """``key`` when it is a plain relative path (no ``..``, no leading ``/``); else ValueError."""
    if not KEY.fullmatch(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"not a storage key: {key!r}")
    return key


class Storage(ABC):
    """Bytes under keys. ``put`` replaces whole objects; a reader never sees half of one."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> None: ...

    @abstractmethod
    def open(self, key: str) -> BinaryIO:
        """A binary stream of the object; the caller closes it. MissingObject if none."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def size(self, key: str) -> int:
        """The object's size in bytes; MissingObject if none."""

    @abstractmethod
    def describe(self) -> str:
        """Where the objects are, for messages (never a secret)."""

    def read(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        """The object in chunks, for streaming it to a browser without holding it whole."""
        stream = self.open(key)
        try:
            while chunk := stream.read(chunk_size):
                yield chunk
        finally:
            stream.close()

    def sha256(self, key: str) -> str:
        """The SHA-256 of what is stored now, read back in full."""
        digest = hashlib.sha256()
        for chunk in self.read(key):
            digest.update(chunk)
        return digest.hexdigest()


class LocalStorage(Storage):
    """Files under ``root``, written atomically (temporary file, fsync, rename, fsync dir).

    Folders are created ``0700`` and files ``0600``: only the service's user reads them.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        target = self.path(key)
        try:
            _make_folders(self.root, target.parent)
            temporary = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(descriptor, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    temporary.unlink()
                raise
            _fsync_dir(target.parent)
        except OSError as error:
            raise StorageError(f"cannot write to the recordings folder: {error.strerror}") from None

    def open(self, key: str) -> BinaryIO:
        try:
            return self.path(key).open("rb")
        except FileNotFoundError:
            raise MissingObject(key) from None
        except OSError as error:
            raise StorageError(
                f"cannot read from the recordings folder: {error.strerror}"
            ) from None

    def delete(self, key: str) -> None:
        try:
            self.path(key).unlink(missing_ok=True)
        except OSError as error:
            raise StorageError(
                f"cannot delete in the recordings folder: {error.strerror}"
            ) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise MissingObject(key) from None

    def describe(self) -> str:
        return f"local folder {self.root}"


def _make_folders(root: Path, folder: Path) -> None:
    """``folder`` and every missing folder up to it, each ``0700`` (``mkdir -p`` is not)."""
    missing = []
    while not folder.is_dir():
        missing.append(folder)
        if folder == root or folder.parent == folder:
            break
        folder = folder.parent
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class S3Storage(Storage):
    """Objects in a bucket of an S3-compatible store (Yandex Object Storage, VK Cloud, Selectel…).

    Path-style addressing and checksums only where the API requires them: botocore's newer
    default CRC headers and aws-chunked uploads are refused by several S3-compatible
    providers, so the upload carries a ``Content-MD5`` instead, which every one of them checks.
    """

    def __init__(
        self,
        endpoint_url: str | None,
        bucket: str,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        prefix: str = "",
        client: Any = None,
    ) -> None:
        if not bucket:
            raise StorageConfigError("S3_BUCKET is not set")
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url or None,
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                region_name=region or None,
                config=Config(
                    signature_version="s3v4",
                    s3={"addressing_style": "path"},
                    request_checksum_calculation="when_required",
                    response_checksum_validation="when_required",
                    connect_timeout=10,
                    read_timeout=60,
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )
        self.client = client

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes) -> None:
        md5 = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
        with self._errors("upload"):
            self.client.put_object(
                Bucket=self.bucket, Key=self._key(key), Body=data, ContentMD5=md5
            )

    def open(self, key: str) -> BinaryIO:
        with self._errors("download", key):
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]

    def read(self, key: str, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
        body = self.open(key)
        try:
            with self._errors("download", key):
                yield from body.iter_chunks(chunk_size)  # type: ignore[attr-defined]
        finally:
            body.close()

    def delete(self, key: str) -> None:
        with self._errors("delete"):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except MissingObject:
            return False
        return True

    def size(self, key: str) -> int:
        with self._errors("head", key):
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        return int(head["ContentLength"])

    def describe(self) -> str:
        where = self.endpoint_url or "the default endpoint"
        return f"bucket {self.bucket!r} at {where}"

    @contextlib.contextmanager
    def _errors(self, action: str, key: str | None = None) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if key is not None and (code in ("NoSuchKey", "404", "NotFound") or status == 404):
                raise MissingObject(key) from None
            raise StorageError(f"object store {action} failed: {code or status}") from None
        except BotoCoreError as error:
            raise StorageError(f"object store {action} failed: {type(error).__name__}") from None


def storage_from_config(config: Mapping[str, Any], instance_path: str | Path) -> Storage:
    """The storage the settings name: ``RECORDINGS_STORAGE`` is ``local`` or ``s3``.

    A :class:`Storage` object in ``RECORDINGS_STORAGE`` is used as it is (tests plug one in,
    like ``TWILIO_HTTP_CLIENT``).
    """
    backend = config.get("RECORDINGS_STORAGE") or "local"
    if isinstance(backend, Storage):
        return backend
    backend = str(backend).strip().lower()
    if backend == "local":
        return LocalStorage(config.get("RECORDINGS_DIR") or Path(instance_path) / "recordings")
    if backend == "s3":
        return S3Storage(
            endpoint_url=config.get("S3_ENDPOINT_URL"),
            bucket=config.get("S3_BUCKET") or "",
            access_key=config.get("S3_ACCESS_KEY_ID"),
            secret_key=config.get("S3_SECRET_ACCESS_KEY"),
            region=config.get("S3_REGION"),
            prefix=config.get("S3_PREFIX") or "",
        )
    raise StorageConfigError(f"RECORDINGS_STORAGE must be {' or '.join(BACKENDS)}, not {backend!r}")
