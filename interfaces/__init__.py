"""Ways into Bazaar: the HTTP API (``interfaces.http``) and the command line (``interfaces.cli``)."""
