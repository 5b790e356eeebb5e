"""Storage: SQLModel tables, the async engine, the repository and Alembic migrations."""
