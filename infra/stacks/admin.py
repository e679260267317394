"""Admin identity: the Cognito user pool marketers sign in to, its role groups and SPA client.

Roles are Cognito groups; the admin function reads ``cognito:groups`` and the
``custom:brand`` attribute from the verified JWT and enforces role and brand
itself (never only in the SPA). The SPA bucket itself lives in the Delivery
stack: its bucket policy must name the CloudFront distribution, and a bucket
here would make Admin and Delivery depend on each other.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from infra.config import StageConfig
from xsell.roles import BRAND_ATTRIBUTE, GROUP_ADMIN, ROLE_GROUPS, SPA_READ_ATTRIBUTES, SPA_WRITE_ATTRIBUTES

# Group names, precedence and the brand attribute live in xsell.roles: the admin function and
# the local user pool (local/cognito.py) read the same definitions.
__all__ = ["BRAND_ATTRIBUTE", "ROLE_GROUPS", "AdminStack"]


def client_attributes(names: Iterable[str]) -> cognito.ClientAttributes:
    """Cognito attribute names (``email``, ``custom:brand``) as CDK's ClientAttributes."""
    names = tuple(names)
    standard = {name: True for name in names if not name.startswith("custom:")}
    custom = [name.removeprefix("custom:") for name in names if name.startswith("custom:")]
    return cognito.ClientAttributes().with_standard_attributes(**standard).with_custom_attributes(*custom)


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
        self.groups = {
            name: cognito.UserPoolGroup(
                self,
                f"Group-{name}",
                user_pool=self.user_pool,
                group_name=name,
                precedence=precedence,
                description=description,
            )
            for name, (precedence, description) in ROLE_GROUPS.items()
        }
        # The SPA signs in with SRP directly (no hosted UI, so no callback URL and
        # no dependency on the CloudFront domain); the client has no secret.
        self.spa_client = self.user_pool.add_client(
            "AdminSpaClient",
            auth_flows=cognito.AuthFlow(user_srp=True),  # refresh tokens are always allowed
            generate_secret=False,
            # custom:brand decides which campaigns a marketer may change: readable (it is in the
            # ID token), never writable by the user with their own access token.
            read_attributes=client_attributes(SPA_READ_ATTRIBUTES),
            write_attributes=client_attributes(SPA_WRITE_ATTRIBUTES),
            disable_o_auth=True,
            prevent_user_existence_errors=True,
            access_token_validity=Duration.hours(1),
            id_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.hours(12),
        )
        self._invite_first_admin(stage)
        CfnOutput(self, "UserPoolId", value=self.user_pool.user_pool_id)
        CfnOutput(self, "SpaClientId", value=self.spa_client.user_pool_client_id)

    def _invite_first_admin(self, stage: StageConfig) -> None:
        """The stage's first group admin gets an e-mail invitation with a temporary password;
        nobody can sign up, so without it nobody could ever invite anyone."""
        self.first_admin = cognito.CfnUserPoolUser(
            self,
            "FirstAdmin",
            user_pool_id=self.user_pool.user_pool_id,
            username=stage.admin_email,
            user_attributes=[
                cognito.CfnUserPoolUser.AttributeTypeProperty(name="email", value=stage.admin_email),
                cognito.CfnUserPoolUser.AttributeTypeProperty(name="email_verified", value="true"),
            ],
            desired_delivery_mediums=["EMAIL"],
        )
        cognito.CfnUserPoolUserToGroupAttachment(
            self,
            "FirstAdminGroup",
            user_pool_id=self.user_pool.user_pool_id,
            group_name=self.groups[GROUP_ADMIN].group_name,
            username=self.first_admin.ref,
        )
