"""Job functions: thin wrappers that load, simulate and write through `app.pipeline`."""
