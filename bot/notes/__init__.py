"""Stage 1 of the pipeline: Markdown note files -> sections (and install snippets)."""
