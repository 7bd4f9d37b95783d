"""moto's S3 server on loopback: a real HTTP S3 API for the object-storage tests.

`S3Server.start()` runs moto's threaded server on 127.0.0.1 (a free port) and
returns None when it cannot start, so the tests can skip with the reason.
Each test makes its own bucket (`new_bucket()`), so no state is shared.
"""

import json
import logging
import threading
import uuid
from dataclasses import dataclass, field

import boto3

REGION = "ap-northeast-1"
ACCESS_KEY = "zundapod-test-access-key"
SECRET_KEY = "zundapod-test-secret-key"
START_TIMEOUT = 15


@dataclass
class S3Server:
    """A running moto server and a boto3 client for checking what landed in it."""

    server: object
    endpoint: str
    _werkzeug_level: int = field(default=logging.NOTSET)

    @classmethod
    def start(cls) -> "tuple[S3Server | None, str]":
        """(server, "") when it runs; (None, why) when moto is missing or does not come up."""
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:  # pragma: no cover - moto is in requirements-dev.txt
            return None, f"moto[server] is not installed ({exc})"
        # werkzeug logs every request at INFO to stderr; the tests assert on the bucket instead.
        werkzeug_logger = logging.getLogger("werkzeug")
        level = werkzeug_logger.level
        werkzeug_logger.setLevel(logging.WARNING)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        # start() waits without a timeout for a server thread that may have died: wait here instead.
        starter = threading.Thread(target=server.start, daemon=True)
        starter.start()
        starter.join(START_TIMEOUT)
        if starter.is_alive():
            werkzeug_logger.setLevel(level)
            return None, f"moto's S3 server did not start within {START_TIMEOUT} s"
        host, port = server.get_host_and_port()
        return cls(server=server, endpoint=f"http://{host}:{port}", _werkzeug_level=level), ""

    def stop(self) -> None:
        self.server.stop()
        logging.getLogger("werkzeug").setLevel(self._werkzeug_level)

    def client(self):
        """A boto3 S3 client on the server, for looking at the bucket from outside Django."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def new_bucket(self) -> str:
        """An empty, private bucket with a fresh name."""
        name = f"zundapod-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def set_public_read(self, bucket: str, public: bool) -> None:
        """Let anyone GET the bucket's objects (a bucket policy, as for plain URLs or a CDN), or stop that."""
        client = self.client()
        if not public:
            client.delete_bucket_policy(Bucket=bucket)
            return
        statement = {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{bucket}/*",
        }
        client.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
