"""HTTP: one module per endpoint family, each a projection of canonical events plus routes."""
