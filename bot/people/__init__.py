"""People and groups: who is on which side, mapped platform groups, and their cards."""
