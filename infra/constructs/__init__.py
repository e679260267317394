"""Shared building blocks for the xsell stacks."""
