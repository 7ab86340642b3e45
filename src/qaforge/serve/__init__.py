"""`qaforge serve`: the HTTP API, live events, dashboard and operations endpoints.

Another front door to the same graph, database and bus as the CLI (DESIGN §7), never a second
pipeline.
"""
