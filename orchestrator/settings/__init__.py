"""Settings: the environment file, the stack-outputs contract, and what is derived from them."""
