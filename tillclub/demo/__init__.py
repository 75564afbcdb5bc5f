"""The one-command demo: a small chain, a server, a till and a scripted shift."""
