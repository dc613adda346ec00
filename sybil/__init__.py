"""The `sybil` command: generate a synthetic world, run the pipeline, evaluate it."""
