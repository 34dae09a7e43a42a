"""The S3-compatible backend against a real S3-compatible server: moto, on 127.0.0.1 only."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import sqlalchemy as sa
from botocore.config import Config
from moto.server import ThreadedMotoServer

from calllog.recording_copies import app_storage
from models import Call, Recording, RecordingState
from outbound.storage import (
    MissingObject,
    S3Storage,
    StorageConfigError,
    StorageError,
    storage_from_config,
)
from tests.conftest import LINE, MOBILE
from tests.fakes import fake_audio

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"
REGION = "ru-central1"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free loopback port, for this module's tests."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}),
    )


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"reception-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    return name


@pytest.fixture
def storage(s3_endpoint: str, bucket: str) -> S3Storage:
    return S3Storage(s3_endpoint, bucket, ACCESS_KEY, SECRET_KEY, REGION, prefix="recordings/")


def test_objects_are_written_read_sized_and_deleted(storage, s3_endpoint, bucket):
    data = fake_audio("mp3", 200_000)
    storage.put("2026/12/RE1.mp3", data)

    assert storage.exists("2026/12/RE1.mp3")
    assert storage.size("2026/12/RE1.mp3") == len(data)
    assert b"".join(storage.read("2026/12/RE1.mp3", chunk_size=8192)) == data
    assert storage.sha256("2026/12/RE1.mp3") == hashlib.sha256(data).hexdigest()
    with storage.open("2026/12/RE1.mp3") as stream:
        assert stream.read(3) == b"ID3"
    raw = s3_client(s3_endpoint).get_object(Bucket=bucket, Key="recordings/2026/12/RE1.mp3")
    assert raw["Body"].read() == data

    storage.delete("2026/12/RE1.mp3")
    storage.delete("2026/12/RE1.mp3")  # missing is fine
    assert not storage.exists("2026/12/RE1.mp3")
    with pytest.raises(MissingObject):
        storage.size("2026/12/RE1.mp3")
    with pytest.raises(MissingObject):
        storage.open("2026/12/RE1.mp3")


def test_keys_outside_the_prefix_are_refused(storage):
    with pytest.raises(ValueError, match="not a storage key"):
        storage.put("../other/secret", b"x")


def test_settings_build_the_s3_backend_and_say_what_is_missing(s3_endpoint, bucket, tmp_path):
    config = {
        "RECORDINGS_STORAGE": "s3",
        "S3_ENDPOINT_URL": s3_endpoint,
        "S3_BUCKET": bucket,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
        "S3_REGION": REGION,
        "S3_PREFIX": "recordings/",
    }
    storage = storage_from_config(config, tmp_path)
    assert isinstance(storage, S3Storage)
    assert SECRET_KEY not in storage.describe()

    with pytest.raises(StorageConfigError, match="S3_BUCKET is not set"):
        storage_from_config({**config, "S3_BUCKET": None}, tmp_path)
    with pytest.raises(StorageConfigError, match="RECORDINGS_STORAGE must be local or s3"):
        storage_from_config({**config, "RECORDINGS_STORAGE": "ftp"}, tmp_path)


def test_a_missing_bucket_is_a_storage_error_not_a_crash(s3_endpoint):
    storage = S3Storage(s3_endpoint, "no-such-bucket-here", ACCESS_KEY, SECRET_KEY, REGION)
    with pytest.raises(StorageError, match="object store upload failed: NoSuchBucket"):
        storage.put("a.mp3", b"x")


@pytest.fixture
def s3_app(app, s3_endpoint, bucket, tmp_path, fake_twilio):
    """The app copying recordings into the moto bucket (the queue runs them at once)."""
    app.config.update(
        RECORDINGS_COPY="queue",
        RECORDINGS_STORAGE="s3",
        RECORDINGS_DIR=str(tmp_path / "unused"),
        S3_ENDPOINT_URL=s3_endpoint,
        S3_BUCKET=bucket,
        S3_ACCESS_KEY_ID=ACCESS_KEY,
        S3_SECRET_ACCESS_KEY=SECRET_KEY,
        S3_REGION=REGION,
        SMS_FROM="PriemnayaPR",
    )
    fake_twilio.any_audio = fake_audio("mp3", 50_000, seed=3)
    return app


def test_a_recording_is_copied_into_the_bucket_then_deleted_at_twilio(
    s3_app, twilio, records, fake_twilio, s3_endpoint, bucket, tmp_path
):
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=25, finish="#")
    call.finish()

    recording = records().scalar(
        sa.select(Recording).join(Recording.call).where(Call.sid == call.sid)
    )
    assert recording.state is RecordingState.STORED
    assert recording.sha256 == hashlib.sha256(fake_twilio.any_audio).hexdigest()
    assert recording.deleted_from_twilio_at is not None
    assert not fake_twilio.holds(recording.sid)
    stored = s3_client(s3_endpoint).get_object(
        Bucket=bucket, Key=f"recordings/{recording.storage_key}"
    )
    assert stored["Body"].read() == fake_twilio.any_audio
    assert not (tmp_path / "unused").exists()  # nothing went to the local folder
    assert isinstance(app_storage(s3_app), S3Storage)


def test_an_unreachable_object_store_keeps_the_twilio_copy(
    s3_app, twilio, records, fake_twilio, bucket
):
    s3_app.config["S3_BUCKET"] = "bucket-that-does-not-exist"
    call = twilio.incoming_call(from_=MOBILE, to=LINE).start()
    call.press("2").press("1").press("1").record(seconds=25, finish="#")
    call.finish()

    recording = records().scalar(
        sa.select(Recording).join(Recording.call).where(Call.sid == call.sid)
    )
    assert recording.state is RecordingState.PENDING
    assert recording.last_error == "storage: object store upload failed: NoSuchBucket"
    assert fake_twilio.holds(recording.sid)
    assert fake_twilio.recording_deletes() == []
