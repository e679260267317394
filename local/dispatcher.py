"""Drain the S3 -> SQS import queue into the importer handler, as Lambda's SQS poller does.

Each receive becomes one SQS event of the shape Lambda delivers; messages the
handler reports as failed (partial batch response) stay on the queue and come
back after their visibility time-out, and after the redrive limit go to the DLQ.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

import boto3

from local import lambda_runtime

BATCH_SIZE = 10
IDLE_SLEEP_S = 0.2  # the emulator is single-threaded: poll briefly instead of long-polling it


def sqs_event(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody") or hashlib.md5(m["Body"].encode()).hexdigest(),  # noqa: S324
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": region,
            }
            for m in messages
        ]
    }


class Dispatcher:
    """Polls one queue and invokes ``function`` with each batch."""

    def __init__(self, queue_url: str, queue_arn: str, function: str = "importer") -> None:
        self.queue_url, self.queue_arn, self.function = queue_url, queue_arn, function
        self._sqs = boto3.session.Session().client("sqs")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.batches = 0

    def poll_once(self) -> int:
        """Receive and dispatch one batch; returns how many messages it carried."""
        messages = self._sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=BATCH_SIZE,
            WaitTimeSeconds=0,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        region = self._sqs.meta.region_name
        result = lambda_runtime.invoke(self.function, sqs_event(messages, self.queue_arn, region)) or {}
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        self.batches += 1
        return len(messages)

    def drain(self, timeout: float = 60) -> None:
        """Dispatch until the queue is empty (tests and demo seeding)."""
        deadline = time.monotonic() + timeout
        while self.poll_once():
            if time.monotonic() > deadline:
                raise TimeoutError("import queue did not drain in time")

    def start(self) -> Dispatcher:
        self._thread = threading.Thread(target=self._run, name="xsell-dispatcher", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                if not self.poll_once():
                    self._stop.wait(IDLE_SLEEP_S)
            except Exception:  # keep polling: one bad batch must not stop the local importer
                self._stop.wait(1)

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
