"""Admin accounts: passwords, login sessions, invitations and password resets. English only."""
