"""The ground floor: the typed tasks, results and records every layer above exchanges."""
