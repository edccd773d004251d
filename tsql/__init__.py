"""tsql package."""
