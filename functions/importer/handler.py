"""Importer: SQS messages (S3 notifications, or continuations of long files) -> files imported.

Each message is one batch item; a failing file fails only its own message
(partial batch response), which SQS retries and finally moves to the DLQ. Each
invocation imports at most one chunk per file, sized to the time Lambda has left.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from xsell import env, observability, topology
from xsell.importing.checkpoints import Budget
from xsell.importing.runner import handle_message

env.require(topology.FUNCTIONS["importer"].env)
logger = Logger(service="xsell-importer")
tracer = observability.tracer("importer")  # Powertools Tracer in Lambda
metrics = observability.Emf("importer")
processor = BatchProcessor(event_type=EventType.SQS)


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count)
    except (TypeError, ValueError):
        return 1


def record_handler(record: SQSRecord, lambda_context: LambdaContext) -> None:
    budget = Budget.for_invocation(lambda_context.get_remaining_time_in_millis())
    final = _receive_count(record) >= topology.IMPORT_MAX_RECEIVES
    for step in handle_message(record.body, budget, final_attempt=final):
        logger.info("import step", extra={"job_id": step.job_id, "state": step.state})


@tracer.capture_lambda_handler(capture_response=False)
@metrics.flushing
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
