"""Benchmarks: latency, throughput, indexing, crawling, memory and quality for the cost (make bench)."""
