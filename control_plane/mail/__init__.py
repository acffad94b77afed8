"""Mail: the SMTP sender the control plane uses and the catcher ``berth dev`` runs in its place."""
