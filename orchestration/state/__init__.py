"""Where the stacks' state and secrets live: the declaration, the backend, bootstrap, history."""
