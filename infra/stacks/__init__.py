"""One CloudFormation stack per concern; app.py wires them together."""
