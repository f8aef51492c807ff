"""Agent Protocol (seed 004): threads of runs, their commands and their event stream.

projection.py turns a canonical event into protocol events; threads.py builds the
threads and assistants the SDK reads; commands.py carries out thread commands;
streams.py plans and writes a thread's event stream; routes.py serves them;
openapi.py describes the routes.
"""
