"""stats: the read model behind the crisis team's and the managers' figures."""
