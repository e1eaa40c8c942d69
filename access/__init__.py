"""Who may see what: accounts and roles, data scope, personal-data masking, the SQL guard, the audit log.
Streamlit-free, so the indicator layer, the CLI and the tests enforce the same rules the pages do."""
