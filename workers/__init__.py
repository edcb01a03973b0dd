"""ARQ workers: the cron orchestrator and the per-batch simulation jobs."""
