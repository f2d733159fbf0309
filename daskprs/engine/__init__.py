"""Driver side: planning a step, submitting mini batches, accounting, retries, thresholds."""
