"""The embedded local runtime: AWS emulators, API gateway, dispatcher, static server."""
