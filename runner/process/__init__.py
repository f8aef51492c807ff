"""Step processes: spawn in a fresh process group, split output into lines, kill the group.

    spawn      StepProcess, run_process, environment_problem
    lines      LineSplitter (cut-safe line splitting)
    group      terminate_group(s), sweep_marked: process-group kill and marker sweep
    watchdog   start_watchdog: steps die with the engine, even by kill -9

Nothing is imported here: `stax run` forks its step watchdog before it imports trio
and the engine (a fork copies the page tables, and every page shared then costs the
parent a fault when it next writes it).
"""
