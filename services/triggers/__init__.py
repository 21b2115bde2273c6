"""triggers: counts sick occasions in rolling windows and says when a manager must act."""
