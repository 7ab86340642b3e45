"""qaforge: a multi-agent system that tests web applications on its own."""

__version__ = "0.1.0"
