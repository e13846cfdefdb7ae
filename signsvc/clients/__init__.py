"""API clients: who may call signsvc, with which role and which keys."""
