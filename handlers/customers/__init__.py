"""The customer's own rights: commands, data export, forgetting, retention."""
