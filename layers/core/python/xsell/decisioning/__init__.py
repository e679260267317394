"""Deciding which referral creative each slot on a page shows."""
