"""Who may see and do what: principals and roles, the access table, credentials, the
lockout rule, the audit chain and the key files. Pure rules here; the accounts and the
audit trail are stored by ``storage``, and decided on in ``application``."""
