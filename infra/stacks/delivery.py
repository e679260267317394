"""Delivery: one CloudFront distribution in front of everything a browser loads.

    /tag/tag.*.js  content-hashed tag (S3, OAC)  immutable, cached for a year
    /tag/*       site tag (S3, OAC)              cached briefly, security headers
    /admin/v1/*  admin API (API Gateway)         not cached, Authorization forwarded
    /admin/*     marketer SPA (S3, OAC)          SPA routes rewritten to index.html
    /v1/*        public decision API             not cached
    default      tag bucket (nothing public at the root)

The static buckets live here rather than in Admin: with origin access control,
each bucket policy must name this distribution, so a bucket in another stack
would make that stack and this one depend on each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudfront as cf
from aws_cdk import aws_cloudfront_origins as origins
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as deployment
from constructs import Construct

from infra import ROOT
from infra.config import StageConfig
from infra.constructs.buckets import images_bucket_name, log_bucket, secure_bucket
from infra.nag import acknowledge, arn_finding
from infra.stacks.api import VIEWER_IP_HEADER

TAG_PATH = "/tag/*"
# tag.<hash>.js (tag/build.mjs): the bytes never change under a name, so cache them for good.
HASHED_TAG_GLOB = "tag.*.js"
HASHED_TAG_PATH = f"/tag/{HASHED_TAG_GLOB}"
HASHED_MAX_AGE = Duration.days(365)
# Creative images uploaded from the admin page (xsell.admin.images), named by their content's hash.
IMAGES_PREFIX = "creatives/"
IMAGES_PATH = f"/{IMAGES_PREFIX}*"
ADMIN_API_PATH = "/admin/v1/*"
ADMIN_PATH = "/admin/*"
# The admin page's scripts carry a content hash in their names (admin_spa/build.mjs): browsers may
# keep them for good. index.html, app.css and sizes.json keep their names across builds, so
# browsers revalidate them on every load; index.html names the scripts of its own build.
HASHED_SPA_GLOBS = ("app-*.js", "boot-*.js", "chunk-*.js")
API_PATH = "/v1/*"
TAG_DIST = ROOT / "tag" / "dist"
ADMIN_SPA_DIST = ROOT / "admin_spa" / "dist"

# Client-side routes of the SPA (no file extension) get the SPA shell. A
# distribution-wide error page would also rewrite the API's 403/404 answers.
SPA_ROUTING_JS = """\
function handler(event) {
  var request = event.request;
  var last = request.uri.split('/').pop();
  if (last === '' || last.indexOf('.') === -1) {
    request.uri = '/admin/index.html';
  }
  return request;
}
"""


# Every API request reaches the origin with the viewer's own address in VIEWER_IP_HEADER,
# overwriting any value the client sent: the API's WAF limits viewers by it, and a client
# cannot dodge those limits by writing X-Forwarded-For (whose first entry is its own text).
VIEWER_IP_JS = f"""\
function handler(event) {{
  var request = event.request;
  request.headers['{VIEWER_IP_HEADER.lower()}'] = {{ value: event.viewer.ip }};
  return request;
}}
"""


class DeliveryStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        stage: StageConfig,
        api: apigw.RestApi,
        user_pool: cognito.IUserPool,
        spa_client: cognito.IUserPoolClient,
        drop_bucket: s3.IBucket | None = None,
        admin_role: iam.IRole | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # CloudFront standard logging writes with ACLs, hence OBJECT_WRITER here only.
        self.logs = log_bucket(
            self,
            "Logs",
            retention_days=stage.log_retention_days,
            object_ownership=s3.ObjectOwnership.OBJECT_WRITER,
        )
        self.tag_bucket = secure_bucket(self, "Tag", access_logs=self.logs)
        self.admin_spa_bucket = secure_bucket(self, "AdminSpa", access_logs=self.logs)
        self.images_bucket = self._images_bucket(stage, admin_role)

        headers = self._security_headers(stage, drop_bucket)
        tag_origin = origins.S3BucketOrigin.with_origin_access_control(self.tag_bucket)
        spa_origin = origins.S3BucketOrigin.with_origin_access_control(self.admin_spa_bucket)
        images_origin = origins.S3BucketOrigin.with_origin_access_control(self.images_bucket)
        # origin path "/<stage name>": /v1/decide reaches the stage's /v1/decide resource.
        api_origin = origins.RestApiOrigin(api)

        static = {
            "viewer_protocol_policy": cf.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
            "allowed_methods": cf.AllowedMethods.ALLOW_GET_HEAD,
            "cache_policy": cf.CachePolicy.CACHING_OPTIMIZED,
            "compress": True,
        }
        viewer_ip = cf.Function(
            self,
            "ApiViewerAddress",
            code=cf.FunctionCode.from_inline(VIEWER_IP_JS),
            runtime=cf.FunctionRuntime.JS_2_0,
            comment="Pass the viewer's address to the API for its per-viewer WAF limits",
        )
        api_behavior = cf.BehaviorOptions(
            origin=api_origin,
            viewer_protocol_policy=cf.ViewerProtocolPolicy.HTTPS_ONLY,
            allowed_methods=cf.AllowedMethods.ALLOW_ALL,
            # Never cache API answers. With caching disabled the AllViewer* origin
            # request policies forward the Authorization header the admin API needs;
            # the Host header must stay API Gateway's own.
            cache_policy=cf.CachePolicy.CACHING_DISABLED,
            origin_request_policy=cf.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
            response_headers_policy=headers["api"],
            function_associations=[
                cf.FunctionAssociation(function=viewer_ip, event_type=cf.FunctionEventType.VIEWER_REQUEST)
            ],
        )
        spa_routing = cf.Function(
            self,
            "AdminSpaRouting",
            code=cf.FunctionCode.from_inline(SPA_ROUTING_JS),
            runtime=cf.FunctionRuntime.JS_2_0,
            comment="Serve /admin/index.html for client-side routes of the admin SPA",
        )
        # Edge TTL pinned to a year whatever the object says; browsers get the
        # immutable Cache-Control written with the objects (_deploy_static).
        hashed_tag_cache = cf.CachePolicy(
            self,
            "HashedTagCache",
            comment=f"xsell {stage.name}: content-hashed tag files, immutable",
            min_ttl=HASHED_MAX_AGE,
            default_ttl=HASHED_MAX_AGE,
            max_ttl=HASHED_MAX_AGE,
            enable_accept_encoding_gzip=True,
            enable_accept_encoding_brotli=True,
        )
        custom_domain = stage.domains.cdn is not None
        self.distribution = cf.Distribution(
            self,
            "Distribution",
            comment=f"xsell {stage.name}: tag, admin SPA and API",
            default_behavior=cf.BehaviorOptions(
                origin=tag_origin, response_headers_policy=headers["static"], **static
            ),
            additional_behaviors={
                # Must precede /tag/*: CloudFront matches behaviours in order.
                HASHED_TAG_PATH: cf.BehaviorOptions(
                    origin=tag_origin,
                    response_headers_policy=headers["static"],
                    **{**static, "cache_policy": hashed_tag_cache},
                ),
                TAG_PATH: cf.BehaviorOptions(
                    origin=tag_origin, response_headers_policy=headers["static"], **static
                ),
                # A name always means the same bytes: cached for good, like the hashed tag.
                IMAGES_PATH: cf.BehaviorOptions(
                    origin=images_origin,
                    response_headers_policy=headers["static"],
                    **{**static, "cache_policy": hashed_tag_cache},
                ),
                # Must precede /admin/*: CloudFront matches behaviours in order.
                ADMIN_API_PATH: api_behavior,
                ADMIN_PATH: cf.BehaviorOptions(
                    origin=spa_origin,
                    response_headers_policy=headers["spa"],
                    function_associations=[
                        cf.FunctionAssociation(
                            function=spa_routing,
                            event_type=cf.FunctionEventType.VIEWER_REQUEST,
                        )
                    ],
                    **static,
                ),
                API_PATH: api_behavior,
            },
            # PRICE_CLASS_200 includes Japan and the rest of Asia.
            price_class=cf.PriceClass.PRICE_CLASS_200,
            http_version=cf.HttpVersion.HTTP2_AND_3,
            enable_logging=True,
            log_bucket=self.logs,
            log_file_prefix="cloudfront/",
            domain_names=[stage.domains.cdn] if custom_domain else None,
            certificate=(
                acm.Certificate.from_certificate_arn(
                    self, "CdnCertificate", stage.domains.cdn_certificate_arn
                )
                if custom_domain
                else None
            ),
            # Only a custom certificate can raise the viewer TLS floor.
            minimum_protocol_version=cf.SecurityPolicyProtocol.TLS_V1_2_2021 if custom_domain else None,
        )
        self._deploy_static(stage, user_pool, spa_client)
        self._acknowledge_findings(custom_domain)

        CfnOutput(self, "DistributionDomainName", value=self.distribution.distribution_domain_name)
        CfnOutput(self, "DistributionId", value=self.distribution.distribution_id)  # invalidations
        CfnOutput(self, "ImagesBucketName", value=self.images_bucket.bucket_name)  # image take-downs
        base = f"https://{stage.domains.cdn or self.distribution.distribution_domain_name}"
        CfnOutput(self, "TagUrl", value=f"{base}/tag/")
        CfnOutput(self, "AdminUrl", value=f"{base}/admin/")

    def _security_headers(
        self, stage: StageConfig, drop_bucket: s3.IBucket | None
    ) -> dict[str, cf.ResponseHeadersPolicy]:
        def behavior(csp: str | None) -> cf.ResponseSecurityHeadersBehavior:
            return cf.ResponseSecurityHeadersBehavior(
                strict_transport_security=cf.ResponseHeadersStrictTransportSecurity(
                    access_control_max_age=Duration.days(730), include_subdomains=True, override=True
                ),
                content_type_options=cf.ResponseHeadersContentTypeOptions(override=True),
                frame_options=cf.ResponseHeadersFrameOptions(
                    frame_option=cf.HeadersFrameOption.DENY, override=True
                ),
                referrer_policy=cf.ResponseHeadersReferrerPolicy(
                    referrer_policy=cf.HeadersReferrerPolicy.STRICT_ORIGIN_WHEN_CROSS_ORIGIN, override=True
                ),
                xss_protection=cf.ResponseHeadersXSSProtection(
                    protection=True, mode_block=True, override=True
                ),
                content_security_policy=(
                    cf.ResponseHeadersContentSecurityPolicy(content_security_policy=csp, override=True)
                    if csp
                    else None
                ),
            )

        # The SPA talks only to its own origin (admin API through /admin/v1), to Cognito
        # for sign-in and to the drop bucket's regional S3 endpoint (presigned uploads go
        # straight to S3); images for creative previews may come from any https host.
        # No 'unsafe-inline': index.html has no inline script or style and the SPA sets
        # styles only through the style property (CSSOM), which CSP does not restrict.
        # boto3 presigns with the bucket's global name (<bucket>.s3.amazonaws.com): allow both.
        s3_endpoint = (
            f"https://{drop_bucket.bucket_regional_domain_name} https://{drop_bucket.bucket_domain_name}"
            if drop_bucket is not None
            # Without the bucket (its generated name would tie this stack to Ingest's): any
            # bucket's regional or global name. script-src stays 'self', so nothing injected
            # can use it.
            else f"https://*.s3.{stage.region}.amazonaws.com https://*.s3.amazonaws.com"
        )
        spa_csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            "img-src 'self' https: data:; "
            f"connect-src 'self' https://cognito-idp.{stage.region}.amazonaws.com {s3_endpoint}; "
            "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
        )
        return {
            name: cf.ResponseHeadersPolicy(
                self,
                f"{name.capitalize()}Headers",
                comment=f"xsell {stage.name} {name} security headers",
                security_headers_behavior=behavior(csp),
            )
            for name, csp in (("static", None), ("api", None), ("spa", spa_csp))
        }

    def _deploy_static(
        self, stage: StageConfig, user_pool: cognito.IUserPool, spa_client: cognito.IUserPoolClient
    ) -> None:
        # The SPA learns where to sign in from /admin/config.json, written at deploy
        # time, so one SPA build serves every stage.
        deployment.BucketDeployment(
            self,
            "AdminSpaConfig",
            destination_bucket=self.admin_spa_bucket,
            destination_key_prefix="admin/",
            sources=[
                deployment.Source.json_data(
                    "config.json",
                    {
                        "stage": stage.name,
                        "region": stage.region,
                        "userPoolId": user_pool.user_pool_id,
                        "userPoolClientId": spa_client.user_pool_client_id,
                        "apiBase": "/admin/v1",
                    },
                )
            ],
            prune=False,
            cache_control=[deployment.CacheControl.no_cache()],
            distribution=self.distribution,
            distribution_paths=["/admin/config.json"],
        )
        # Built artefacts are deployed when they exist (`make tag`, the SPA build);
        # synth must not build them.
        if ADMIN_SPA_DIST.is_dir():
            deployment.BucketDeployment(
                self,
                "AdminSpaFiles",
                destination_bucket=self.admin_spa_bucket,
                destination_key_prefix="admin/",
                sources=[deployment.Source.asset(str(ADMIN_SPA_DIST))],
                # config.json is owned by AdminSpaConfig, the scripts by AdminSpaHashedFiles;
                # excluded here, pruning keeps them.
                exclude=["config.json", *HASHED_SPA_GLOBS],
                cache_control=[deployment.CacheControl.no_cache()],
                distribution=self.distribution,
                distribution_paths=[ADMIN_PATH],
            )
            # A tab opened before a deploy still finds the screens it has not loaded yet.
            self._deploy_hashed(
                "AdminSpaHashedFiles", self.admin_spa_bucket, "admin/", ADMIN_SPA_DIST, HASHED_SPA_GLOBS
            )
        if TAG_DIST.is_dir():
            deployment.BucketDeployment(
                self,
                "TagFiles",
                destination_bucket=self.tag_bucket,
                destination_key_prefix="tag/",
                sources=[deployment.Source.asset(str(TAG_DIST))],
                # Hashed files are owned by TagHashedFiles; excluded here, prune keeps them.
                exclude=[HASHED_TAG_GLOB],
                # Browsers re-check the tag every 5 minutes, so a fix reaches sites quickly.
                cache_control=[deployment.CacheControl.max_age(Duration.minutes(5))],
                distribution=self.distribution,
                distribution_paths=[TAG_PATH],
            )
            # Older hashes stay: sites may pin them (SRI); nothing to invalidate.
            self._deploy_hashed("TagHashedFiles", self.tag_bucket, "tag/", TAG_DIST, (HASHED_TAG_GLOB,))

    def _images_bucket(self, stage: StageConfig, admin_role: iam.IRole | None) -> s3.Bucket:
        """Creative images: the admin function signs PUTs of ``creatives/<hash>.<ext>`` into it
        (a policy of this stack on its role: the Api stack cannot refer to this one), the admin
        page PUTs from its own origin, CloudFront serves them at ``/creatives/``."""
        bucket = secure_bucket(
            self, "Images", access_logs=self.logs, bucket_name=images_bucket_name(stage.name)
        )
        # Like the drop bucket: the page's origin is not known here; the URL's signature (one
        # key, one type, one length, one checksum, minutes) is the authorization.
        bucket.add_cors_rule(
            allowed_methods=[s3.HttpMethods.PUT],
            allowed_origins=["https://*"],
            allowed_headers=["*"],
            max_age=3000,
        )
        if admin_role is not None:
            policy = iam.Policy(
                self,
                "AdminImagesPut",
                roles=[admin_role],
                statements=[
                    iam.PolicyStatement(
                        actions=["s3:PutObject"], resources=[bucket.arn_for_objects(IMAGES_PREFIX + "*")]
                    )
                ],
            )
            acknowledge(
                policy,
                f"AwsSolutions-IAM5[{arn_finding(bucket, '/' + IMAGES_PREFIX + '*')}]",
                "Image names are content hashes chosen at upload; the wildcard is the creatives/ "
                "prefix of the one images bucket, with PutObject only.",
            )
        return bucket

    def _deploy_hashed(
        self, name: str, bucket: s3.IBucket, prefix: str, dist: Path, globs: tuple[str, ...]
    ) -> None:
        """Deploy the content-hashed files of ``dist``: cached for good, never pruned (a name
        always means the same bytes, and whoever still asks for an older one finds it)."""
        deployment.BucketDeployment(
            self,
            name,
            destination_bucket=bucket,
            destination_key_prefix=prefix,
            sources=[deployment.Source.asset(str(dist))],
            exclude=["*"],
            include=list(globs),
            prune=False,
            cache_control=[
                deployment.CacheControl.set_public(),
                deployment.CacheControl.max_age(HASHED_MAX_AGE),
                deployment.CacheControl.immutable(),
            ],
        )

    def _acknowledge_findings(self, custom_domain: bool) -> None:
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR1",
            "The tag runs on the brands' public sites for every visitor the brands serve; restricting "
            "countries is the brands' decision, not this kit's.",
        )
        acknowledge(
            self.distribution,
            "AwsSolutions-CFR2",
            "Rate limiting and bad-input rules run in the regional WAF web ACL on the API stage, the only "
            "dynamic origin; a CLOUDFRONT-scope web ACL must live in us-east-1 (see docs/decisions.md).",
        )
        if not custom_domain:
            acknowledge(
                self.distribution,
                "AwsSolutions-CFR4",
                "No custom domain is configured for this stage, so the distribution uses the default "
                "*.cloudfront.net certificate whose TLS policy cannot be changed; set domains.cdn and "
                "domains.cdn_certificate_arn to get TLSv1.2_2021.",
            )
        # CDK's singleton behind every BucketDeployment in this stack (a custom resource).
        handler = next(
            (c for c in self.node.children if c.node.id.startswith("Custom::CDKBucketDeployment")), None
        )
        if handler is None:
            return
        helper = "CDK-owned deploy-time helper (BucketDeployment) that copies built static files"
        acknowledge(
            handler,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
            f"{helper}; the managed policy only lets it write its own logs.",
        )
        acknowledge(
            handler,
            "AwsSolutions-L1",
            f"{helper}; its runtime is chosen by aws-cdk-lib and moves with CDK upgrades.",
        )
        for finding in (
            "Action::s3:GetBucket*",
            "Action::s3:GetObject*",
            "Action::s3:List*",
            "Action::s3:Abort*",
            "Action::s3:DeleteObject*",
            f"Resource::arn:aws:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-{self.region}/*",
            arn_finding(self.admin_spa_bucket, "/*"),
            arn_finding(self.tag_bucket, "/*"),
            # cloudfront:CreateInvalidation / GetInvalidation: CDK grants them on "*".
            "Resource::*",
        ):
            acknowledge(
                handler,
                f"AwsSolutions-IAM5[{finding}]",
                f"{helper}: CDK's read grant on the asset bucket, its write grant on the destination "
                "bucket (with prune) and the CloudFront invalidation it requests after copying.",
            )
