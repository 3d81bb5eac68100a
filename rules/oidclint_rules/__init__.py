"""The oidclint rule pack: one module per rule, registered in ``ALL_RULES``."""
