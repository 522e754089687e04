"""Reports: facts recorded as they happen (`ReportEvent`), daily rollups kept with them, and the report API.

The layer above `flows`: it reads hub, catalog and flows, and nothing imports it but `hub.composition`.
"""
