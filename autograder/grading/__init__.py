"""From a folder of zips to graded results: collect, jobs, the worker pool, the single gradebook writer."""
