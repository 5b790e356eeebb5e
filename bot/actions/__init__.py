"""Actions: a summary's next step taken on by a person, set aside for the next-best, and asked
about ("Done?") when the next pulse opens."""
