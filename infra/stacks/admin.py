"""Admin identity: the Cognito user pool marketers sign in to, its role groups and SPA client.

Roles are Cognito groups; the admin function reads ``cognito:groups`` and the
``custom:brand`` attribute from the verified JWT and enforces role and brand
itself (never only in the SPA). The SPA bucket itself lives in the Delivery
stack: its bucket policy must name the CloudFront distribution, and a bucket
here would make Admin and Delivery depend on each other.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.config import StageConfig

# Group name -> (precedence, description). Lower precedence wins when a user is
# in several groups. The admin function must use the same names.
ROLE_GROUPS: dict[str, tuple[int, str]] = {
    "group-admin": (0, "Everything, across all brands"),
    "brand-marketer": (10, "Campaigns whose source or destination is the user's custom:brand"),
    "viewer": (20, "Read-only access to reports and configuration"),
}
BRAND_ATTRIBUTE = "brand"  # read by the admin function as custom:brand


class AdminStack(Stack):
    def __init__(self, scope: Construct, construct_id: str, *, stage: StageConfig, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.user_pool = cognito.UserPool(
            self,
            "UserPool",
            user_pool_name=f"xsell-{stage.name}-admin",
            # Marketers are invited by a group admin; nobody signs themselves up.
            self_sign_up_enabled=False,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={BRAND_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=32, mutable=True)},
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            # The admin page can change campaigns and export customer-level reports:
            # TOTP MFA for everyone, no SMS (no SMS role, no toll fraud surface).
            mfa=cognito.Mfa.REQUIRED,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            # Plus tier: compromised-credential and adaptive-auth protection, enforced.
            feature_plan=cognito.FeaturePlan.PLUS,
            standard_threat_protection_mode=cognito.StandardThreatProtectionMode.FULL_FUNCTION,
            deletion_protection=stage.prod_like,
            removal_policy=RemovalPolicy.RETAIN if stage.prod_like else RemovalPolicy.DESTROY,
        )
        for name, (precedence, description) in ROLE_GROUPS.items():
            cognito.UserPoolGroup(
                self,
                f"Group-{name}",
                user_pool=self.user_pool,
                group_name=name,
                precedence=precedence,
                description=description,
            )
        # The SPA signs in with SRP directly (no hosted UI, so no callback URL and
        # no dependency on the CloudFront domain); the client has no secret.
        self.spa_client = self.user_pool.add_client(
            "AdminSpaClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            generate_secret=False,
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "SpaClientId", value=self.spa_client.user_pool_client_id)
