"""The composition root: settings, app assembly, the `bridgepulse` command, the scheduler."""
