"""`invoke bootstrap`: the state bucket and key an environment declares, judged then created."""
