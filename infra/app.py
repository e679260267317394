"""The xsell CDK app: ``npx cdk synth`` / ``npx cdk deploy --all`` (app command in cdk.json).

Stacks, in dependency order (names ``Xsell-<stage>-<Concern>``):

    Alerts     SNS topic + alarm e-mail
    Data       DynamoDB tables from the PynamoDB models + deployment and sites secrets
    Admin      Cognito user pool, role groups, SPA client
    Analytics  events bucket + Firehose stream
    Ingest     drop bucket -> SQS (+DLQ) -> importer
    Api        REST API + decide/collect/conversions/admin functions + WAF
    Delivery   CloudFront: tag, admin SPA, API
    Dashboard  CloudWatch dashboard

Synth is offline and needs no Docker: functions and layers are directory assets
used as they are (``make layer-deps`` fills layers/deps beforehand).
"""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk

from infra.config import StageConfig, load_stage
from infra.nag import add_checks
from infra.stacks.admin import AdminStack
from infra.stacks.alerts import AlertsStack
from infra.stacks.analytics import AnalyticsStack
from infra.stacks.api import ApiStack
from infra.stacks.dashboard import DashboardStack
from infra.stacks.data import DataStack
from infra.stacks.delivery import DeliveryStack
from infra.stacks.ingest import IngestStack
from xsell import env as xsell_env


@dataclass(frozen=True)
class XsellApp:
    app: cdk.App
    stage: StageConfig
    alerts: AlertsStack
    data: DataStack
    admin: AdminStack
    analytics: AnalyticsStack
    ingest: IngestStack
    api: ApiStack
    delivery: DeliveryStack
    dashboard: DashboardStack

    @property
    def stacks(self) -> dict[str, cdk.Stack]:
        return {
            "alerts": self.alerts,
            "data": self.data,
            "admin": self.admin,
            "analytics": self.analytics,
            "ingest": self.ingest,
            "api": self.api,
            "delivery": self.delivery,
            "dashboard": self.dashboard,
        }


def build(app: cdk.App, *, nag: bool = True) -> XsellApp:
    """Add every xsell stack for the selected stage to ``app``."""
    stage = load_stage(app.node)
    env = cdk.Environment(account=stage.account or None, region=stage.region)

    def name(concern: str) -> str:
        return f"Xsell-{stage.name}-{concern}"

    common = {"env": env, "termination_protection": stage.prod_like}

    alerts = AlertsStack(app, name("Alerts"), stage=stage, description="xsell: alarm topic", **common)
    data = DataStack(app, name("Data"), stage=stage, description="xsell: DynamoDB tables", **common)
    admin = AdminStack(
        app, name("Admin"), stage=stage, description="xsell: admin sign-in (Cognito)", **common
    )
    analytics = AnalyticsStack(
        app,
        name("Analytics"),
        stage=stage,
        alarm_topic=alerts.topic,
        encryption_key=data.key,
        description="xsell: events bucket and stream",
        **common,
    )
    ingest = IngestStack(
        app,
        name("Ingest"),
        stage=stage,
        tables=data.tables,
        alarm_topic=alerts.topic,
        encryption_key=data.key,
        reports=analytics.reports,
        description="xsell: partner CSV import",
        **common,
    )
    api = ApiStack(
        app,
        name("Api"),
        stage=stage,
        tables=data.tables,
        drop_bucket=ingest.drop_bucket,
        admin_drop_access=ingest.admin_drop_access,
        user_pool=admin.user_pool,
        alarm_topic=alerts.topic,
        secrets={xsell_env.SECRET: data.secret, xsell_env.SITES_SECRET: data.sites_secret},
        events_stream=analytics.stream,
        reports=analytics.reports,
        encryption_key=data.key,
        description="xsell: decision, events and admin API",
        **common,
    )
    delivery = DeliveryStack(
        app,
        name("Delivery"),
        stage=stage,
        api=api.api,
        user_pool=admin.user_pool,
        spa_client=admin.spa_client,
        admin_role=api.functions["admin"].function.role,
        description="xsell: CloudFront for tag, admin SPA and API",
        **common,
    )
    dashboard = DashboardStack(
        app,
        name("Dashboard"),
        stage=stage,
        api=api.api,
        functions={
            **{n: f.function for n, f in api.functions.items()},
            "importer": ingest.importer.function,
            "affinity": ingest.affinity.function,
        },
        import_queue=ingest.queue,
        import_dlq=ingest.dlq,
        events_stream=analytics.stream,
        alarm_topic=alerts.topic,
        description="xsell: CloudWatch dashboard and service-wide alarms",
        **common,
    )
    for stack in (alerts, data, admin, analytics, ingest, api, delivery, dashboard):
        cdk.Tags.of(stack).add("project", "xsell")
        cdk.Tags.of(stack).add("xsell:stage", stage.name)
    if nag:
        add_checks(app)
    return XsellApp(app, stage, alerts, data, admin, analytics, ingest, api, delivery, dashboard)


def main() -> None:
    app = cdk.App()
    build(app)
    app.synth()


if __name__ == "__main__":
    main()
