"""Background jobs: the contract a job use case follows, the schedule, the worker."""
