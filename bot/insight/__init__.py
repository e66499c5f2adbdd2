"""What the group asked and what the notes failed to answer: the question log (log.py) and its report
(report.py). No Discord import here: the front ends feed it, the CLI and /stats read it."""
