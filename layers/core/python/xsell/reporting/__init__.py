"""Reports over the measured events: one SQL text (Athena/Trino) per report, run by Athena in AWS
and by DuckDB locally (transpiled with sqlglot), with the statistics in pure Python.

Read docs/reports.md for what every figure means.
"""
