"""The six agents; each module holds one, all built on `base.BaseAgent`."""
