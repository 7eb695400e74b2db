"""Voice IVR bot for Swedish municipal contact centres."""
