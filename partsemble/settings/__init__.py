"""Settings: the QuickBooks connection, users and roles, your account."""
