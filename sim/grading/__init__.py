"""Self-grading exercises: a safe expression language over the trace, checks evaluated as records
arrive, diagnosis answers matched with tolerance, per-student variables, and reports."""
