"""Where teams work: pipelines (`qaforge ci`), GitHub, assistants."""
