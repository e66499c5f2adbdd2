"""Stage 4: a question -> ranked sections, or a polite decline."""
