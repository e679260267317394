"""Importer: SQS messages carrying S3 notifications -> partner files imported.

Each message is one batch item; a failing file fails only its own message
(partial batch response), which SQS retries and finally moves to the DLQ.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import env, topology
from xsell.importing.notifications import object_refs
from xsell.importing.runner import import_object

env.require(topology.FUNCTIONS["importer"].env)
logger = Logger(service="xsell-importer")
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    for ref in object_refs(record.body):
        job_id = import_object(ref)
        logger.info("imported" if job_id else "already imported", extra={"key": ref.key, "job_id": job_id})


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
