"""Failure diagnosis: failure-dump analysis (`dumps`), the knowledge base of CloudWorks failure causes
(`knowledge`, `catalogue`), and the diagnosis of a tenant's runs built on them (`diagnose` and the
modules it uses).

Import from the modules: the package itself imports nothing, so the server's start-up reads the
troubleshooting guide (a resource) without loading the dump parser.
"""
