"""Why an import refuses a whole file. Each reason has a stable ``code`` for the admin page."""

from __future__ import annotations

from xsell.errors import XsellError


class RejectedFile(XsellError):
    """The whole file is refused; nothing from it is written."""

    code = "rejected"


class BadObjectKey(RejectedFile):
    code = "bad_key"


class UnknownDataset(RejectedFile):
    code = "unknown_dataset"


class UnknownPartner(RejectedFile):
    """The object key names a partner without published settings."""

    code = "unknown_partner"


class DatasetNotAllowed(RejectedFile):
    """The partner's settings do not allow it this dataset (privileged ones must be listed)."""

    code = "dataset_not_allowed"


class InvalidSettings(RejectedFile):
    """The partner's stored settings cannot be used (an admin must fix them)."""

    code = "invalid_settings"


class EmptyFile(RejectedFile):
    code = "empty_file"


class UnreadableHeader(RejectedFile):
    code = "unreadable_header"


class MissingColumns(RejectedFile):
    code = "missing_columns"


class DuplicateColumns(RejectedFile):
    code = "duplicate_columns"


class UnreadableMessage(XsellError):
    """An SQS message that is neither an S3 notification nor a continuation."""
