"""The peer benchmark: Synlab and oTree running the same 3-AFC task, driven by one client."""
