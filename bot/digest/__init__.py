"""The weekly digest and the App Home: who gets which entries, and their cards."""
