"""Api: the REST API whose routes come from ``xsell.topology.API_ROUTES``, and its functions.

Public routes (``authorized=False``, the tag's ``/v1/*``) rely on the site key,
origin allow-list and signed customer token checked in the function; the admin
routes sit behind a Cognito user-pool authorizer, and the admin function still
checks role and brand itself. A regional WAF web ACL rate-limits the stage;
CloudFront forwards ``/v1/*`` and ``/admin/v1/*`` here (Delivery stack).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisfirehose as firehose
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from infra.config import StageConfig
from infra.constructs.buckets import images_bucket_name
from infra.constructs.python_function import PythonFunction, grant_tracing, log_retention
from infra.constructs.tables import CONFIG_PUBLISH_ACTIONS, XsellTables, grant_key_use
from infra.nag import acknowledge
from infra.stacks.analytics import ReportsAccess, grant_reports
from xsell import env as xsell_env
from xsell import topology
from xsell.dal import counters, customers

# (memory MB, timeout) per function behind the API. decide is latency-bound:
# more memory buys CPU for a faster compiled-config evaluation and cold start.
FUNCTION_SIZING: dict[str, tuple[int, Duration]] = {
    "decide": (1024, Duration.seconds(5)),
    "admin": (512, Duration.seconds(29)),  # API Gateway's integration timeout
    "collect": (256, Duration.seconds(5)),  # verify, count, forward to Firehose
    "conversions": (256, Duration.seconds(5)),  # verify a site's signature, guard, forward to Firehose
}
# The per-source limit is a ceiling for callers that bypass CloudFront; traffic
# through CloudFront arrives from many edge addresses and is limited per viewer.
DIRECT_SOURCE_LIMIT_FACTOR = 10
# The admin routes' methods in API Gateway's method settings ("<resource path>/<method>").
ADMIN_METHODS = "/admin/v1/{proxy+}/*"
# CloudFront sets this header on every API request to the viewer's address (Delivery stack),
# replacing whatever a client sent: the WAF keys its per-viewer limits on it.
VIEWER_IP_HEADER = "X-Xsell-Viewer-Ip"
DECIDE_PATH = next(r.path for r in topology.API_ROUTES if r.function == "decide")


class ApiStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        tables: XsellTables,
        drop_bucket: s3.IBucket,
        admin_drop_access: iam.IManagedPolicy,
        user_pool: cognito.IUserPool,
        alarm_topic: sns.ITopic,
        secrets: Mapping[str, secretsmanager.ISecret],
        events_stream: firehose.IDeliveryStream,
        reports: ReportsAccess | None = None,
        encryption_key: kms.IKey | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        available_env = {
            **tables.environment(),
            xsell_env.DROP_BUCKET: drop_bucket.bucket_name,
            **{variable: secret.secret_arn for variable, secret in secrets.items()},
            xsell_env.EVENTS_STREAM: events_stream.delivery_stream_name,
        }
        self.functions: dict[str, PythonFunction] = {}
        for name in sorted({route.function for route in topology.API_ROUTES}):
            if name not in FUNCTION_SIZING:
                raise KeyError(
                    f"API route function {name!r} has no sizing in infra/stacks/api.py FUNCTION_SIZING"
                )
            memory, timeout = FUNCTION_SIZING[name]
            self.functions[name] = PythonFunction(
                self,
                name.capitalize(),
                spec=topology.FUNCTIONS[name],
                stage=stage,
                environment=available_env,
                memory_size=memory,
                timeout=timeout,
                alarm_topic=alarm_topic,
                encryption_key=encryption_key,
            )
        for name, reserved in stage.reserved_concurrency:
            cfn_function = self.functions[name].function.node.default_child
            assert isinstance(cfn_function, lambda_.CfnFunction)
            cfn_function.reserved_concurrent_executions = reserved
        self._grant(tables, admin_drop_access, secrets, events_stream, user_pool, encryption_key)
        admin_fn = self.functions["admin"].function
        admin_fn.add_environment(xsell_env.USER_POOL_ID, user_pool.user_pool_id)  # the users screen
        # Creative images: the bucket the Delivery stack makes under this fixed name.
        admin_fn.add_environment(xsell_env.IMAGES_BUCKET, images_bucket_name(stage.name))
        if stage.domains.cdn:  # the snippets the admin page hands out name the public host
            admin_fn.add_environment(xsell_env.TAG_URL, f"https://{stage.domains.cdn}/tag/tag.js")
            admin_fn.add_environment(xsell_env.API_URL, f"https://{stage.domains.cdn}")
            admin_fn.add_environment(xsell_env.IMAGES_URL, f"https://{stage.domains.cdn}/creatives")
        if reports is not None:
            grant_reports(admin_fn, reports)

        self.api = self._rest_api(stage, encryption_key)
        self.validator = self.api.add_request_validator(
            "RequestValidator",
            validate_request_body=True,
            validate_request_parameters=True,
        )
        self.authorizer = apigw.CognitoUserPoolsAuthorizer(
            self,
            "AdminAuthorizer",
            cognito_user_pools=[user_pool],
            # The SPA sends the ID token as Authorization (raw or "Bearer <jwt>"); CloudFront
            # forwards that header to the API (Delivery stack).
            identity_source=apigw.IdentitySource.header("Authorization"),
            results_cache_ttl=Duration.minutes(5),
        )
        for route in topology.API_ROUTES:
            self._add_route(route, stage)
        # A refused token gets the API's own error shape, as every other error does (and as the
        # local gateway answers): {"error": "not_signed_in", "message": ...}.
        self.api.add_gateway_response(
            "Unauthorized",
            type=apigw.ResponseType.UNAUTHORIZED,
            status_code="401",
            templates={
                "application/json": '{"error":"not_signed_in","message":$context.error.messageString}'
            },
        )

        self._web_acl(stage)
        self._alarms(stage, alarm_topic)
        acknowledge(
            self.api.node.find_child("CloudWatchRole"),
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
            "The account-level API Gateway logging role (AWS::ApiGateway::Account) must be able to "
            "create log groups named after any API and stage; AWS documents this managed policy for "
            "exactly that role.",
        )
        CfnOutput(self, "ApiUrl", value=self.api.url)

    def _grant(
        self,
        tables: XsellTables,
        admin_drop_access: iam.IManagedPolicy,
        secrets: Mapping[str, secretsmanager.ISecret],
        events_stream: firehose.IDeliveryStream,
        user_pool: cognito.IUserPool,
        encryption_key: kms.IKey | None,
    ) -> None:
        # Each secret (by its variable), for exactly the functions whose spec names it; with the
        # stage's key, Secrets Manager decrypts (and encrypts a new version) as the caller.
        for fn in self.functions.values():
            for variable, secret in secrets.items():
                if variable in fn.spec.env:
                    fn.function.add_to_role_policy(
                        iam.PolicyStatement(
                            actions=["secretsmanager:GetSecretValue"], resources=[secret.secret_arn]
                        )
                    )
                    if encryption_key is not None:
                        grant_key_use(encryption_key, fn.function)
            grant_tracing(fn.function)

        decide = self.functions["decide"].function
        # One BatchGetItem reads the customer's profile and state#<customer> item together.
        tables.grant(decide, "profiles", ["dynamodb:BatchGetItem"])
        # Its own state#<customer> items only: profile items stay the importer's alone.
        tables.grant(decide, "profiles", ["dynamodb:UpdateItem"], leading_keys=(customers.STATE_PREFIX,))
        # The live pointer by key, the live version's documents by query.
        tables.grant(decide, "config", ["dynamodb:GetItem", "dynamodb:Query"])
        # Block leases of caps and reciprocity credit: conditional UpdateItem on quota#/ledger# items,
        # and the replay guard of a call a site's server signed (sig#); click caps read the click
        # counters (quota#) by key.
        tables.grant(
            decide,
            "counters",
            ["dynamodb:UpdateItem"],
            leading_keys=(counters.QUOTA_PREFIX, counters.LEDGER_PREFIX, counters.SIGNATURE_PREFIX),
        )
        tables.grant(decide, "counters", ["dynamodb:GetItem"], leading_keys=(counters.QUOTA_PREFIX,))

        admin = self.functions["admin"]
        # Drafts and approvals (conditional puts and updates of draft items) and publishing.
        tables.grant(admin.function, "config", CONFIG_PUBLISH_ACTIONS)
        # Import jobs: one by key (and the writer lease), listings from the two named indexes.
        tables.grant(
            admin.function,
            "jobs",
            ["dynamodb:GetItem"],
            indexes=tuple(index.name for index in tables.schemas["jobs"].global_indexes),
        )
        # The audit log is append-only: conditional puts and queries, no update, no delete.
        tables.grant(admin.function, "audit", ["dynamodb:PutItem", "dynamodb:Query"])
        # Preview/QA reads a test customer's profile and state (the one BatchGetItem decide makes).
        tables.grant(admin.function, "profiles", ["dynamodb:BatchGetItem"])
        # Pacing reads the cap and ledger counters by key.
        tables.grant(
            admin.function,
            "counters",
            ["dynamodb:GetItem"],
            leading_keys=(counters.QUOTA_PREFIX, counters.LEDGER_PREFIX),
        )
        # Signing key and site secret rotations read and write a new version of their secret.
        admin.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["secretsmanager:PutSecretValue"],
                resources=[secret.secret_arn for secret in secrets.values()],
            )
        )
        admin.function.add_to_role_policy(
            iam.PolicyStatement(
                actions=["cognito-idp:AdminListGroupsForUser", "cognito-idp:ListUsers"],
                resources=[user_pool.user_pool_arn],
            )
        )
        # Presigned partner upload URLs (incoming/) and error report downloads (results/),
        # as published by the Ingest stack that owns the bucket.
        admin.role.add_managed_policy(admin_drop_access)

        collect = self.functions["collect"].function
        conversions = self.functions["conversions"].function
        # The replay guards are conditional updates (seen#<decision>, and sig#<signature> for a
        # signed server-to-server request); releasing one whose record the stream refused removes
        # its count, so nothing is ever deleted. collect also ADDs to the click counters (quota#) of
        # click-capped campaigns, and to the browser conversions counted per referral (seen#).
        tables.grant(
            collect,
            "counters",
            ["dynamodb:UpdateItem"],
            leading_keys=(counters.QUOTA_PREFIX, counters.SEEN_PREFIX),
        )
        tables.grant(
            conversions,
            "counters",
            ["dynamodb:UpdateItem"],
            leading_keys=(counters.SEEN_PREFIX, counters.SIGNATURE_PREFIX),
        )
        # collect and conversions write measured events; decide its own request and served events.
        for writer in (collect, conversions, self.functions["decide"].function):
            writer.add_to_role_policy(
                iam.PolicyStatement(
                    actions=["firehose:PutRecordBatch"], resources=[events_stream.delivery_stream_arn]
                )
            )

    def _rest_api(self, stage: StageConfig, encryption_key: kms.IKey | None) -> apigw.RestApi:
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            encryption_key=encryption_key,
            retention=log_retention(stage.log_retention_days),
            removal_policy=RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY,
        )
        return apigw.RestApi(
            self,
            "Api",
            rest_api_name=f"xsell-{stage.name}",
            description="xsell public decision API and admin API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # Execution logging (ERROR level) needs the account-level CloudWatch role;
            # it is retained so another API in the account keeps logging if this stack goes.
            cloud_watch_role=True,
            cloud_watch_role_removal_policy=RemovalPolicy.RETAIN,
            deploy_options=apigw.StageOptions(
                stage_name=stage.name,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=False,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                # Never log request/response bodies: they carry customer tokens.
                data_trace_enabled=False,
                metrics_enabled=True,
                # The stage's limit is the public API's; the admin API has its own, lower one so
                # that a flood of page views and a runaway admin client cannot crowd out each other.
                throttling_rate_limit=stage.api_throttle.rate_limit,
                throttling_burst_limit=stage.api_throttle.burst_limit,
                method_options={
                    ADMIN_METHODS: apigw.MethodDeploymentOptions(
                        # A method override replaces the stage's settings: repeat them.
                        logging_level=apigw.MethodLoggingLevel.ERROR,
                        data_trace_enabled=False,
                        metrics_enabled=True,
                        throttling_rate_limit=stage.admin_api_throttle.rate_limit,
                        throttling_burst_limit=stage.admin_api_throttle.burst_limit,
                    )
                },
            ),
        )

    def _add_route(self, route: topology.Route, stage: StageConfig) -> None:
        resource = self.api.root.resource_for_path(route.path)
        function: lambda_.IFunction = self.functions[route.function].function
        # allow_test_invoke=False: no extra Lambda permission for the console's test button.
        integration = apigw.LambdaIntegration(function, allow_test_invoke=False)
        if route.authorized:
            resource.add_method(
                route.method,
                integration,
                authorizer=self.authorizer,
                authorization_type=apigw.AuthorizationType.COGNITO,
                request_validator=self.validator,
            )
            return
        method = resource.add_method(
            route.method,
            integration,
            authorization_type=apigw.AuthorizationType.NONE,
            request_validator=self.validator,
        )
        reason = (
            f"{route.method} {route.path} is called by the site tag from anonymous browsers on brand sites; "
            "the function authenticates each call by site key + origin allow-list and an HMAC-signed, "
            "expiring customer token (docs/architecture.md, Security model). WAF rate-limits the stage."
        )
        if not route.browser:
            reason = (
                f"{route.method} {route.path} is called by brand sites' servers, which sign every request "
                "with their site's secret and a timestamp; the function verifies the HMAC and refuses stale "
                "and replayed requests (docs/tag.md). WAF rate-limits the stage."
            )
        acknowledge(method, "AwsSolutions-APIG4", reason)
        acknowledge(method, "AwsSolutions-COG4", reason)
        if route.method != "ANY" and route.browser:
            # A browser calling cross-origin with a non-simple request sends a preflight first.
            # The route's own function answers it, as the local gateway has it do: decide admits
            # the origins of the published site documents (the one list of sites and origins),
            # collect any origin (its events carry signed tokens).
            preflight = resource.add_method(
                "OPTIONS", integration, authorization_type=apigw.AuthorizationType.NONE
            )
            acknowledge(
                preflight,
                "AwsSolutions-APIG4",
                f"OPTIONS {route.path} is a browser's CORS preflight, which never carries credentials; the "
                "function only says which of the published sites' origins may call, and does nothing else.",
            )

    def _web_acl(self, stage: StageConfig) -> None:
        def visibility(metric: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
            return wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True,
                metric_name=f"xsell-{stage.name}-{metric}",
                sampled_requests_enabled=True,
            )

        def rate_rule(name: str, priority: int, statement: Any) -> wafv2.CfnWebACL.RuleProperty:
            return wafv2.CfnWebACL.RuleProperty(
                name=name,
                priority=priority,
                action=wafv2.CfnWebACL.RuleActionProperty(block={}),
                statement=wafv2.CfnWebACL.StatementProperty(rate_based_statement=statement),
                visibility_config=visibility(name),
            )

        viewer_ip = wafv2.CfnWebACL.ForwardedIPConfigurationProperty(
            header_name=VIEWER_IP_HEADER, fallback_behavior="NO_MATCH"
        )
        # The stage's own path prefix comes first (/<stage>/v1/decide): match the end of the path.
        decide_only = wafv2.CfnWebACL.StatementProperty(
            byte_match_statement=wafv2.CfnWebACL.ByteMatchStatementProperty(
                field_to_match=wafv2.CfnWebACL.FieldToMatchProperty(uri_path={}),
                positional_constraint="ENDS_WITH",
                search_string=DECIDE_PATH,
                text_transformations=[wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")],
            )
        )
        self.web_acl = wafv2.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=visibility("api"),
            rules=[
                # Behind CloudFront the source address is an edge server; the viewer's address is
                # in the header CloudFront sets (never X-Forwarded-For, whose first entry a client
                # writes itself).
                rate_rule(
                    "rate-per-viewer",
                    0,
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=stage.waf_rate_limit,
                        aggregate_key_type="FORWARDED_IP",
                        forwarded_ip_config=viewer_ip,
                        evaluation_window_sec=300,
                    ),
                ),
                rate_rule(
                    "decide-per-viewer",
                    1,
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=stage.waf_decide_rate_limit,
                        aggregate_key_type="FORWARDED_IP",
                        forwarded_ip_config=viewer_ip,
                        evaluation_window_sec=300,
                        scope_down_statement=decide_only,
                    ),
                ),
                # Per customer site: the tag's calls carry the site's origin. A call without one
                # is server to server, is not metered by decide (docs/campaigns.md) and is still
                # limited per viewer and per source.
                rate_rule(
                    "decide-per-site",
                    2,
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=stage.waf_site_rate_limit,
                        aggregate_key_type="CUSTOM_KEYS",
                        custom_keys=[
                            wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                                header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                                    name="origin",
                                    text_transformations=[
                                        wafv2.CfnWebACL.TextTransformationProperty(
                                            priority=0, type="LOWERCASE"
                                        )
                                    ],
                                )
                            )
                        ],
                        evaluation_window_sec=300,
                        scope_down_statement=decide_only,
                    ),
                ),
                # Callers that bypass CloudFront are limited by their own source address.
                rate_rule(
                    "rate-per-source",
                    3,
                    wafv2.CfnWebACL.RateBasedStatementProperty(
                        limit=stage.waf_rate_limit * DIRECT_SOURCE_LIMIT_FACTOR,
                        aggregate_key_type="IP",
                        evaluation_window_sec=300,
                    ),
                ),
                wafv2.CfnWebACL.RuleProperty(
                    name="aws-known-bad-inputs",
                    priority=4,
                    override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
                    statement=wafv2.CfnWebACL.StatementProperty(
                        managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                            vendor_name="AWS",
                            name="AWSManagedRulesKnownBadInputsRuleSet",
                        )
                    ),
                    visibility_config=visibility("aws-known-bad-inputs"),
                ),
            ],
        )
        wafv2.CfnWebACLAssociation(
            self,
            "WebAclAssociation",
            resource_arn=self.api.deployment_stage.stage_arn,
            web_acl_arn=self.web_acl.attr_arn,
        )

    def _alarms(self, stage: StageConfig, topic: sns.ITopic) -> None:
        alarm = cloudwatch.Alarm(
            self,
            "Api5xx",
            alarm_description=f"xsell {stage.name}: the API returned 5xx responses",
            metric=self.api.metric_server_error(period=Duration.minutes(5), statistic="Sum"),
            threshold=5,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cw_actions.SnsAction(topic))
