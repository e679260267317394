"""The import queue, as seen by the importer: a follow-up message continues a long file."""

from __future__ import annotations

import json

from xsell import env
from xsell.dal import aws

# The body of a continuation message; S3 notifications carry "Records" instead.
CONTINUE = "xsell_import_continue"


def queue_url() -> str:
    """The queue's URL. The local default is the queue's name, resolved with GetQueueUrl."""
    value = env.get(env.IMPORT_QUEUE_URL)
    if value.startswith(("https://", "http://")):
        return value
    url: str = aws.client("sqs").get_queue_url(QueueName=value)["QueueUrl"]
    return url


def send_continuation(job_id: str, chunk: int, delay_seconds: int = 0) -> None:
    """Ask for the job's next chunk; any worker that receives it resumes from the checkpoint.

    ``delay_seconds`` keeps the message invisible that long (a job waiting for the writer)."""
    body = json.dumps({CONTINUE: {"job_id": job_id, "chunk": chunk}})
    aws.client("sqs").send_message(QueueUrl=queue_url(), MessageBody=body, DelaySeconds=delay_seconds)
