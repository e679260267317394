"""Measuring referrals: the events the site tag reports, checked, de-duplicated and shaped for S3."""
