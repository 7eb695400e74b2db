"""The AGI commands the simulator answers, one module per kind, and res_agi's command table (table.py)."""
