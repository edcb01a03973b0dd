"""The live pipeline: load a batch of homes, simulate it, persist state, publish readings."""
