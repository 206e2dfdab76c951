"""Plugins nbgrader loads while grading: sandboxed kernels, outside checks, output cap, late policy,
feedback pages without hidden tests."""
