"""Partner CSV import: parse, validate and write rows; report every bad row."""
