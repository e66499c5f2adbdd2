"""Measuring the engine: answer quality on eval/*.jsonl (run.py) and speed (bench.py), against peers."""
