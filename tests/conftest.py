"""Suite-wide settings. The world fixtures (tank_world, tank_worlds, tank_run, …) and the
``--tank-ingest`` option come from the package's pytest plugin (harness/pytest_plugin);
``pytester`` runs the plugin in pytest sessions of its own."""

pytest_plugins = ["pytester"]
