"""Work that must not hold up a webhook or wait for a cron line: the task queue (Huey).

:mod:`tasks.queue` holds the one Huey of the process and how a task runs (in the app, with
a timeout, retried with backoff, recorded for staff); :mod:`tasks.outbound` the tasks the
webhooks enqueue after their commit (an SMS, a recording's copy home). The periodic tasks,
which run the command-line jobs on Huey's own schedule, are in :mod:`cli.periodic`.
"""
