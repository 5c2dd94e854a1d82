"""captchabench benchmark harness: evaluation sets, metrics, reports, speed benchmarks."""
