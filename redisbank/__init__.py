"""redisbank: a mobile bank's logins, sessions and ledger, kept in Redis Stack."""

import logging

# Quiet unless the application configures logging: a library prints nothing.
logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"
