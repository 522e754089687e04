"""API keys: scoped bearer credentials for the shop's other systems (POS, ERP, BI), made by admins."""
