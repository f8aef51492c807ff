"""The dashboard: the single-page app's pages and assets, and its login routes.

files.py reads the app's files (runner/dashboard/) into memory; routes.py serves
them and the login; openapi.py describes the login and session routes. The login
tokens and the session cookie themselves are runner/api/login.py's.
"""
