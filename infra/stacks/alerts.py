"""Alerts: the one SNS topic every alarm notifies, subscribed by the stage's alarm e-mail.

A stack of its own so that alarms can live next to what they watch (the DLQ
alarm in Ingest, API alarms in Api) while the e-mail subscription is confirmed
once per stage and survives redeploys of those stacks.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.config import StageConfig


class AlertsStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Not KMS-encrypted on purpose: CloudWatch alarms cannot publish to a topic
        # encrypted with the AWS-managed SNS key, and alarm texts carry no customer data.
        self.topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"xsell {stage.name} alarms",
            enforce_ssl=True,
        )
        self.topic.add_subscription(subscriptions.EmailSubscription(stage.alarm_email))
        CfnOutput(self, "AlarmTopicArn", value=self.topic.topic_arn)
