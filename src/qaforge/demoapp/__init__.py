"""demoapp."""
